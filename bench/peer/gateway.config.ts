// Hive Gateway's configuration for bench/peer.py: warnings only in the log; PEER_RESPONSE_CACHE=1
// turns on its response caching plugin with one cache for every caller (session: null) and the
// same 300 s TTL as ours.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  logging: 'warn',
  responseCaching:
    process.env.PEER_RESPONSE_CACHE === '1' ? { session: () => null, ttl: 300_000 } : undefined,
});
