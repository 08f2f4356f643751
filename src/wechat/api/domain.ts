/**
 * WeChat's own addresses (docs/protocol.md section 3): `wechat.domain.getApiDomainIp()`.
 */
import type { ApiContext } from './context.js';

/** The domain-information API. */
export interface DomainApi {
  /** `GET /cgi-bin/get_api_domain_ip`: the IPs of WeChat's API servers. */
  getApiDomainIp(): Promise<string[]>;
}

/** The domain area of one client. */
export function domainApi({ request }: ApiContext): DomainApi {
  return {
    async getApiDomainIp() {
      const res = await request<{ ip_list?: unknown }>('GET', '/cgi-bin/get_api_domain_ip');
      return Array.isArray(res.ip_list) ? res.ip_list.filter((x): x is string => typeof x === 'string') : [];
    },
  };
}
