// The company's identity provider of the single sign-on browser test (tests/browser/test_sso.py):
// oidc-provider (a certified OpenID Connect implementation by others) on loopback, with one
// client (ChannelDesk's live server), three people and a plain sign-in form Playwright fills.
//
//   node provider.mjs PORT REDIRECT_URI
//
// It prints "ready <issuer>" once it listens. Every person's password is "secret".
import http from "node:http";
import { once } from "node:events";

import Provider from "oidc-provider";

const [port, redirectUri] = process.argv.slice(2);
if (!port || !redirectUri) {
  console.error("usage: node provider.mjs PORT REDIRECT_URI");
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const PASSWORD = "secret";

// The people: their claims, and how they proved themselves (`amr` in the ID token).
const PEOPLE = {
  "mia.manager": {
    email: "mia.manager@vendor.example",
    name: "Mia Manager",
    groups: ["channeldesk-channel-manager", "all-staff"],
    amr: ["pwd", "otp"],
  },
  "sven.support": {
    email: "sven.support@vendor.example",
    name: "Sven Support",
    groups: ["channeldesk-support-desk", "all-staff"],
    amr: ["pwd"],
  },
  "nina.nostaff": {
    email: "nina.nostaff@vendor.example",
    name: "Nina Nostaff",
    groups: ["all-staff"],
    amr: ["pwd"],
  },
};

const configuration = {
  clients: [
    {
      client_id: "channeldesk",
      client_secret: "channeldesk-test-secret",
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  scopes: ["openid", "email", "profile", "groups"],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
    groups: ["groups"],
  },
  async findAccount(ctx, accountId) {
    const person = PEOPLE[accountId];
    if (!person) return undefined;
    return {
      accountId,
      async claims() {
        return {
          sub: accountId,
          email: person.email,
          email_verified: true,
          name: person.name,
          preferred_username: accountId,
          groups: person.groups,
        };
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  // Plain http on loopback: the test's cookies carry no Secure flag.
  cookies: { keys: ["channeldesk-sso-test-cookie-key"] },
  pkce: { required: () => true },
  ttl: { Session: 600, Interaction: 600, Grant: 600 },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

function loginForm(uid, error) {
  return page(
    "Company sign-in",
    `${error ? `<p role="alert">${error}</p>` : ""}
<form method="post" action="/interaction/${uid}/login">
<label>User name <input name="login" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// The sign-in form, and a grant of what the client asked for (ChannelDesk is the company's
// own application: nobody is asked to consent).
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (req.method === "GET" && prompt.name === "login") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(loginForm(uid, ""));
    return;
  }
  const result = {};
  let accountId = session?.accountId;
  if (prompt.name === "login") {
    const form = await readForm(req);
    accountId = form.get("login") || "";
    if (!PEOPLE[accountId] || form.get("password") !== PASSWORD) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(loginForm(uid, "Wrong user name or password."));
      return;
    }
    result.login = { accountId, amr: PEOPLE[accountId].amr };
  }
  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope));
  result.consent = { grantId: await grant.save() };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((error) => {
      console.error(error);
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
    return;
  }
  callback(req, res);
});
server.listen(Number(port), "127.0.0.1");
await once(server, "listening");
console.log(`ready ${issuer}`);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
