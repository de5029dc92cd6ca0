/** A failure worded for the person using the page: its message is shown as it is. */
export class SessionError extends Error {
  override readonly name = 'SessionError';
}

/** No media path could be set up (ICE never connected): another transport may still get through. */
export class NoPathError extends SessionError {}
