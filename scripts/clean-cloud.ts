/**
 * `npm run clean:cloud`: terminate every instance tagged Application=dist_zero that is not already
 * terminated, in AWS_REGION (or at AWS_ENDPOINT_URL). `-- --system sys-1234` limits it to one system.
 */
import { ec2ClientFrom, settings, sweepCloud } from 'distzero/tools';

const at = process.argv.indexOf('--system');
const systemId = at >= 0 ? process.argv[at + 1] : undefined;
try {
  const ids = await sweepCloud(ec2ClientFrom(settings), systemId ? { systemId } : {});
  console.log(`terminated ${ids.length} instance(s)${ids.length ? `: ${ids.join(', ')}` : ''}`);
} catch (error) {
  // Most often: no AWS credentials, which a run against the local EC2 endpoint never needed.
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(
    `clean:cloud could not list instances (${why}).\n` +
      'It needs AWS credentials for AWS_REGION, or AWS_ENDPOINT_URL for an EC2-compatible endpoint. ' +
      "The test suite's local EC2 endpoint runs its instances as containers: `npm run clean:docker` removes those.",
  );
  process.exitCode = 1;
}
