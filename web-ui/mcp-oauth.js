// The way back from an MCP server's OAuth sign-in (the redirect URI Ferry registers:
// <app origin>/mcp-oauth.html). It hands the address's query (`?code=…&state=…`, or
// `?error=…`) to the Ferry window that opened it, which completes the sign-in, then
// closes. A file rather than an inline script: the page's Content-Security-Policy allows
// none.
//
// To the opener: `postMessage({type: "ferry-mcp-oauth", query}, location.origin)`, so only
// a Ferry page of this origin can read it. Without an opener (the authorization server cut
// the link, e.g. by Cross-Origin-Opener-Policy): the same message on the BroadcastChannel
// "ferry-mcp-oauth", which only pages of this origin hear. Neither: a sentence for the
// person reading it.

const TYPE = 'ferry-mcp-oauth';
const query = location.search;
const status = document.getElementById('status');

function say(text) {
  if (status) status.textContent = text;
}

// The code is worth nothing without the verifier Ferry keeps, but it has no business in
// this tab's history either.
history.replaceState(null, '', location.pathname);

let handed = false;
if (!query) {
  say('This page is where an MCP server’s sign-in comes back to Ferry, and nothing came back with it. Go back to Ferry and press “Sign in” again.');
} else {
  const message = { type: TYPE, query };
  if (window.opener && !window.opener.closed) {
    try {
      window.opener.postMessage(message, location.origin);
      handed = true;
    } catch {
      handed = false;
    }
  }
  if (!handed && typeof BroadcastChannel === 'function') {
    const channel = new BroadcastChannel(TYPE);
    channel.postMessage(message);
    channel.close();
    handed = true;
  }
  if (handed) {
    say('Handed back to Ferry: you can close this window.');
    window.close();
  } else {
    say('Ferry could not be told about this sign-in from here. Go back to Ferry and press “Sign in” again.');
  }
}
