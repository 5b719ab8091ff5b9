/**
 * `npm run clean:cloud`: terminate every instance tagged Application=dist_zero that is not already
 * terminated, in AWS_REGION (or at AWS_ENDPOINT_URL). `-- --system sys-1234` limits it to one system.
 */
import { settings } from 'distzero/tools';
import { ec2ClientFrom } from 'distzero/tools';
import { sweepCloud } from 'distzero/tools';

const at = process.argv.indexOf('--system');
const systemId = at >= 0 ? process.argv[at + 1] : undefined;
const ids = await sweepCloud(ec2ClientFrom(settings), systemId ? { systemId } : {});
console.log(`terminated ${ids.length} instance(s)${ids.length ? `: ${ids.join(', ')}` : ''}`);
