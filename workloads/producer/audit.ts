// Request text fit for an audit row (usage, unauthorized_requests). The rows themselves go to
// the audit topic (audit-publisher.ts).

/**
 * Request text (a header, a path segment) made fit for an audit row: control characters
 * (NUL among them, which PostgreSQL text cannot hold) and unpaired surrogates replaced, and
 * bounded. Undefined stays undefined, so callers can tell "absent" from "empty".
 */
export function auditText(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  return (
    value
      .slice(0, max)
      // eslint-disable-next-line no-control-regex -- control characters are what is replaced
      .replace(/[\u0000-\u001f\u007f]/g, '\ufffd')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
  );
}
