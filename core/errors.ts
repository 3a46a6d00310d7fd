// One way to turn anything thrown into text for logs, statuses and error responses: an Error's
// message, or the thrown value itself (JavaScript can throw strings, objects, undefined).
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
