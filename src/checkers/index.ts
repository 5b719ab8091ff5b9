/**
 * `distzero/checkers`: judge a system by its clients' history, as Jepsen and Maelstrom do — record
 * the operations, then check them (linearizable registers, sets and broadcasts, counters) and draw
 * them. Pure functions over data: no system, no spawner, usable from any test or script.
 */
export {
  DefiniteFailure,
  HistoryRecorder,
  historyTable,
  operationLabel,
  type CallResult,
  type History,
  type HistoryRecorderOptions,
  type Invocation,
  type Operation,
  type OperationKind,
  type OperationKinds,
  type Outcome,
  type Process,
  type Value,
} from './history.ts';
export { checkLinearizable, DEFAULT_MAX_STEPS, type KeyStats, type KeyVerdict, type LinearizabilityOptions, type LinearizabilityResult } from './linearizability.ts';
export { timelineSvg, type TimelineOptions } from './timeline.ts';
export { checkSet, setAdds, type Element, type SetCheckInput, type SetCheckResult } from './set-checker.ts';
export { checkCounter, type CounterBoundsError, type CounterCheckResult } from './counter-checker.ts';
export { plannedRegisterHistory, randomRegisterPlan, type PlannedOperation } from './generate.ts';
