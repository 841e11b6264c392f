// A real OpenID Connect provider (panva/oidc-provider) on loopback, for the sign-in tests.
// Usage: node provider.mjs PORT REDIRECT_URI  — prints "ready" when it listens.
// Its development interactions sign in any login name without a password; the name becomes
// the ID token's preferred_username, which the product maps to a user row.
import Provider from "oidc-provider";

const [port, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "uppfoljning",
      client_secret: "test-client-secret-not-for-production",
      redirect_uris: [redirectUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ["sub"], profile: ["preferred_username", "name"] },
  features: { devInteractions: { enabled: true } },
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
