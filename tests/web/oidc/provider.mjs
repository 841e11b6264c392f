// A real OpenID Connect provider (panva/oidc-provider) on loopback, for the sign-in and token tests.
// Usage: node provider.mjs PORT REDIRECT_URI [KEYS_FILE]  — prints "ready" when it listens.
// Its development interactions sign in any login name without a password; the name becomes
// the ID token's preferred_username, which the product maps to a user row.
// KEYS_FILE (optional) is a private JWK Set; the first key signs. The token tests rotate and remove
// keys by restarting the provider with another set.
// Integrations get RFC 9068 access tokens (typ at+jwt, audience "uppfoljning") through the
// client-credentials grant: "ekonomisystem" (roles claim with one role the product does not know),
// "legacy-integration" (its tokens say typ JWT) and "stranger" (a client the product does not allow).
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const [port, redirectUri, keysFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const jwks = keysFile ? JSON.parse(readFileSync(keysFile, "utf8")) : undefined;
const secret = "test-client-secret-not-for-production";
const integration = (client_id) => ({
  client_id,
  client_secret: secret,
  redirect_uris: [],
  response_types: [],
  grant_types: ["client_credentials"],
  token_endpoint_auth_method: "client_secret_basic",
});

const provider = new Provider(issuer, {
  ...(jwks ? { jwks } : {}),
  clients: [
    {
      client_id: "uppfoljning",
      client_secret: secret,
      redirect_uris: [redirectUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
    integration("ekonomisystem"),
    integration("legacy-integration"),
    integration("stranger"),
  ],
  pkce: { required: () => true },
  ttl: { ClientCredentials: 300 },
  claims: { openid: ["sub"], profile: ["preferred_username", "name"] },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => "urn:uppfoljning",
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "api",
        audience: "uppfoljning",
        accessTokenFormat: "jwt",
        accessTokenTTL: 300,
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
  extraTokenClaims(ctx, token) {
    if (token.clientId === "ekonomisystem") return { roles: ["contract_strategist", "astrologer"] };
    return undefined;
  },
  formats: {
    customizers: {
      jwt(ctx, token, structured) {
        if (token.clientId === "legacy-integration") structured.header = { typ: "JWT" };
      },
    },
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: id };
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
