import { createHmac } from 'node:crypto';

export interface Signer {
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (SPEC §7). */
  sign(body: string): string;
}

export function createSigner(secret: string, now: () => number = Date.now): Signer {
  return {
    sign(body) {
      const t = Math.floor(now() / 1000);
      const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
      return `t=${t},v1=${v1}`;
    },
  };
}
