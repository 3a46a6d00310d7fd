// One way to turn anything thrown into text for logs, statuses and error responses: an Error's
// message, or the thrown value itself (JavaScript can throw strings, objects, undefined).
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The message of a failed Kubernetes API call: the `message` of the Status the API server
 * answered (client-node keeps it in `body`, a string or already parsed), or errorMessage.
 */
export function apiErrorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'body' in err) {
    const body = err.body;
    if (typeof body === 'string') {
      try {
        return (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        return body;
      }
    }
    if (body && typeof body === 'object' && 'message' in body) return String(body.message);
  }
  return errorMessage(err);
}
