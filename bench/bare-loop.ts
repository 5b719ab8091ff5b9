/**
 * The machine's yardstick: a bare binary-heap event loop in plain JavaScript, the limit a simulator
 * core approaches (issue 16). 10,000 pending events; each one run schedules the next at a
 * pseudo-random delay, as a message in flight schedules its delivery. No objects, no closures:
 * times in a Float64Array heap, payloads in an Int32Array beside it.
 *   node --import tsx bench/bare-loop.ts [<events>]
 * Prints one JSON line. Run at the bench's start and end, it shows how fast this machine was
 * while the rest ran (a shared machine's speed wanders; rows measured an hour apart differ by it).
 */
const events = Number(process.argv[2] ?? 5_000_000);
const pending = 10_000;
const times = new Float64Array(pending);
const payloads = new Int32Array(pending);
let size = 0;
let seed = 0x2545f491;
const random = () => {
  // xorshift32: fast, and the same sequence every run.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

function push(at: number, payload: number): void {
  let i = size++;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (times[parent]! <= at) break;
    times[i] = times[parent]!;
    payloads[i] = payloads[parent]!;
    i = parent;
  }
  times[i] = at;
  payloads[i] = payload;
}

/** Remove the earliest event; its time and payload are left in `top`. */
const top = { at: 0, payload: 0 };
function pop(): void {
  top.at = times[0]!;
  top.payload = payloads[0]!;
  const at = times[--size]!;
  const payload = payloads[size]!;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const c = l + 1 < size && times[l + 1]! < times[l]! ? l + 1 : l;
    if (times[c]! >= at) break;
    times[i] = times[c]!;
    payloads[i] = payloads[c]!;
    i = c;
  }
  times[i] = at;
  payloads[i] = payload;
}

for (let i = 0; i < pending; i++) push(random() * 10, i);
let checksum = 0;
const wall0 = performance.now();
for (let n = 0; n < events; n++) {
  pop();
  checksum = (checksum + top.payload) | 0;
  push(top.at + 1 + random() * 9, (top.payload + 1) % pending);
}
const wallMs = performance.now() - wall0;
console.log(JSON.stringify({ kind: 'bare-loop', events, pending, wallMs: Math.round(wallMs), eventsPerSec: Math.round(events / (wallMs / 1000)), checksum }));
