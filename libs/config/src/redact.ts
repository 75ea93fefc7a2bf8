/**
 * The one redaction for anything printed that may hold a URL with credentials: a log line,
 * an error, /health, /metrics. `nats://gateway:secret@nats:4222` becomes
 * `nats://gateway:***@nats:4222` (the user stays: it says who connected), in any scheme and
 * anywhere in a longer text, so an error message quoting a URL is safe to print too.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*)(:[^\s@/]*)?@/gi;

export const redactUrl = (text: string): string =>
  text.replace(USERINFO, (_match, scheme: string, user: string, password?: string) =>
    password === undefined ? `${scheme}***@` : `${scheme}${user}:***@`,
  );
