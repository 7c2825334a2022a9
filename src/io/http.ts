/** Fetch with an HTTP trace on stderr (`--verbose`, SCOPES_DEBUG=1). Secrets never reach the trace. */

const SECRET_PARAMETERS = /^(code|code_verifier|access_token|refresh_token|id_token|token|client_secret|client_assertion|device_code|password|assertion|subject_token)$/i;

/** Replaces the value of every secret-bearing query or form parameter with `[redacted]`. */
export function redactParameters(text: string): string {
  return text
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      const name = decodeURIComponent(pair.slice(0, equals).replace(/\+/g, ' '));
      return SECRET_PARAMETERS.test(name) ? `${pair.slice(0, equals)}=[redacted]` : pair;
    })
    .join('&');
}

export function redactUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const hash = url.indexOf('#', question);
  const query = hash < 0 ? url.slice(question + 1) : url.slice(question + 1, hash);
  return `${url.slice(0, question)}?${redactParameters(query)}${hash < 0 ? '' : '#[redacted]'}`;
}

export function tracingFetch(inner: typeof fetch, log: (line: string) => void): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const started = Date.now();
    let body = '';
    if (typeof init?.body === 'string') body = ` body: ${redactParameters(init.body)}`;
    else if (init?.body instanceof URLSearchParams) body = ` body: ${redactParameters(init.body.toString())}`;
    const auth = request.headers.get('authorization');
    const authNote = auth ? ` (authorization: ${auth.split(' ')[0]} [redacted])` : '';
    log(`> ${request.method} ${redactUrl(request.url)}${authNote}${body}`);
    try {
      const response = await inner(input, init);
      log(`< ${response.status} ${redactUrl(request.url)} (${Date.now() - started} ms)`);
      return response;
    } catch (error) {
      log(`< failed ${redactUrl(request.url)}: ${(error as Error).message}`);
      throw error;
    }
  };
}
