/** A failure worded for the person using the page: its message is shown as it is. */
export class SessionError extends Error {
  override readonly name = 'SessionError';
}
