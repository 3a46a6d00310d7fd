// Labels on everything the suites create in a cluster, so that a later run can tell its own
// leftovers from objects another run is still using. test/infra/sweep.sh removes a labelled
// namespace only when the process that created it, on this machine, is gone: a crashed or
// interrupted run leaves nothing behind for the next, and a second clone's suites running at
// the same moment keep theirs.
import { hostname } from 'node:os';

const TEST_LABEL = 'mobileforge.credeau.com/test';
const OWNER_LABEL = 'mobileforge.credeau.com/test-owner';

/** `<host>.<pid>` as a label value: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends. */
export function testOwner(host = hostname(), pid = process.pid): string {
  const h =
    host
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 40)
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'host';
  return `${h}.${pid}`;
}

/** The labels a suite's namespace (or cluster-wide object) carries. */
export function testLabels(): Record<string, string> {
  return { [TEST_LABEL]: 'true', [OWNER_LABEL]: testOwner() };
}
