import type { Random } from '../random.js';
import { SHOP_COUNTRIES } from './world.js';

// The IP space of the traffic generator's world (internal): which addresses exist in which country, which are shared.

/** Where travellers go, besides the shop's countries. */
const TRAVEL_ONLY = ['CH', 'GR', 'HR', 'MA', 'TR', 'TH', 'JP', 'CA', 'AE', 'MX', 'BR', 'ID'];
/** Where VPN providers put their exits. */
const VPN_COUNTRIES = ['NL', 'DE', 'US', 'GB', 'SE', 'CH', 'FR', 'RO'];

/**
 * The world's address plan: for each country it uses, an IPv4 /22 (as its first three octets) and an IPv6 /48 (as
 * its first three groups) of public research and education infrastructure: national research networks,
 * universities, internet registries. Never an ISP's subscriber range, so no address the generator writes is a
 * person's; and GeoIP databases place these long-standing allocations in their country (plugin-geoip's tests check
 * every block against the database it installs with). Who holds each block is said beside it.
 */
export const ADDRESS_PLAN: Readonly<Record<string, readonly [ipv4: string, ipv6: string]>> = {
  FR: ['129.104.0', '2001:660:3001'], // Renater (École polytechnique); Renater
  DE: ['128.7.0', '2001:638:100'], // DFN, the German research network
  ES: ['147.83.0', '2001:720:1'], // CSUC (Catalan universities); RedIRIS
  IT: ['90.147.0', '2001:760:1'], // GARR, the Italian research network
  GB: ['128.16.0', '2001:630:1'], // Jisc (University College London); Jisc
  NL: ['130.37.0', '2001:610:1'], // SURF (Vrije Universiteit Amsterdam); SURF
  US: ['128.32.0', '2001:468:1'], // University of California, Berkeley; Internet2
  BE: ['134.58.0', '2001:6a8:1'], // Belnet (KU Leuven); Belnet
  PL: ['148.81.0', '2001:808:1'], // NASK; PIONIER (Poznań Supercomputing and Networking Center)
  SE: ['77.238.32', '2001:6b0:1'], // SUNET, the Swedish university network
  AT: ['131.130.0', '2001:628:1'], // University of Vienna; ACOnet
  PT: ['193.136.0', '2001:690:1'], // FCT-FCCN, the Portuguese research network
  IE: ['134.226.0', '2001:770:98'], // HEAnet (Trinity College Dublin); University College Dublin
  CH: ['129.132.0', '2001:620:1'], // SWITCH (ETH Zürich); SWITCH
  GR: ['62.217.64', '2001:648:2001'], // GRNET, the Greek research network
  HR: ['161.53.0', '2001:b68:1'], // CARNET, the Croatian academic network
  MA: ['193.194.32', '2001:43f8:650'], // Al Akhawayn University
  TR: ['79.123.128', '2001:a98:1'], // ULAKBIM, the Turkish academic network
  TH: ['161.200.0', '2001:3c8:1'], // Chulalongkorn University; UniNet (Thai education network)
  JP: ['130.69.0', '2001:2f8:1'], // The University of Tokyo; NII (SINET)
  CA: ['128.100.0', '2001:410:1'], // University of Toronto; CANARIE
  AE: ['178.250.248', '2001:67c:23f0'], // United Arab Emirates University; Zayed University
  MX: ['132.248.0', '2001:1201:10'], // UNAM; NIC México
  BR: ['132.255.96', '2001:12f0:1'], // RNP, the Brazilian research network
  ID: ['103.123.20', '2001:dc6:1'], // IDNIC, the Indonesian registry
  RO: ['85.122.16', '2001:b30:1'], // Alexandru Ioan Cuza University; RoEduNet
  NG: ['41.78.8', '2001:43f8:160'], // University of Ibadan; University of Lagos
  RU: ['81.89.176', '2001:678:ec'], // Saint Petersburg State University; Samara University
  VN: ['112.137.128', '2001:dc8:1'], // Vietnam National University, Hanoi; VNNIC, the Vietnamese registry
  PK: ['111.68.96', '2400:fc00:1'], // HEC, the Pakistani higher education network (PERN)
  UA: ['77.47.128', '2a01:5c40:1'], // URAN, the Ukrainian research network
  BD: ['103.28.120', '2001:df0:f80'], // BdREN; Jessore University of Science and Technology
};

/** The /24s of a country's IPv4 /22: one per shared pool. */
const POOLS = { mobile: 0, campus: 1, vpn: 2 } as const;
/** Residential blocks per country: /56s of its IPv6 /48, a household's address in a /64 of one. */
const RESIDENTIAL_BLOCKS = 6;

/** One block of the traffic generator's IP space: its country, and its shared pool or households. */
export interface TrafficAddressBlock {
  /** The block in CIDR notation. */
  cidr: string;
  country: string;
  pool: 'residential' | keyof typeof POOLS;
}

const planOf = (country: string): readonly [string, string] => {
  const plan = ADDRESS_PLAN[country];
  if (!plan) throw new Error(`traffic world: no addresses planned for country ${country}`);
  return plan;
};
/** The first three octets of `country`'s /24 for `pool`. */
const pool24 = (country: string, pool: keyof typeof POOLS): string => {
  const [a, b, c] = planOf(country)[0].split('.').map(Number);
  return `${a}.${b}.${c! + POOLS[pool]}`;
};

/**
 * Every block the traffic generator's client addresses come from (households, mobile and campus NAT, VPN exits),
 * with the country it claims for them: to check a GeoIP database against.
 */
export function trafficAddressBlocks(): TrafficAddressBlock[] {
  const out: TrafficAddressBlock[] = [];
  for (const country of Object.keys(ADDRESS_PLAN)) {
    out.push({ cidr: `${planOf(country)[1]}::/48`, country, pool: 'residential' });
    for (const pool of ['mobile', 'campus'] as const)
      out.push({ cidr: `${pool24(country, pool)}.0/24`, country, pool });
    if (VPN_COUNTRIES.includes(country)) out.push({ cidr: `${pool24(country, 'vpn')}.0/24`, country, pool: 'vpn' });
  }
  return out;
}

/** The networks of one country: residential blocks, mobile carriers' shared NAT, campus/company NAT. */
interface CountryNet {
  residential: number[];
  mobile: string[];
  campus: string[];
}

/** The IP space of the world: which addresses exist in which country, and which are shared. */
export interface Networks {
  /** A residential address (one household) in `country`. */
  residential(country: string): string;
  /** A mobile carrier's shared (carrier-grade NAT) address in `country`: many subscribers each. */
  mobile(country: string): string;
  /** One of the few NAT addresses of a campus or company in `country`. */
  campus(country: string): string;
  /** A VPN or hosting exit: shared by many, in one of a few countries. Returns [ip, country]. */
  vpn(): readonly [string, string];
  /** A country to travel to (not `home`). */
  travelCountry(home: string): string;
}

/** Draws hosts of one /24 (1–254) with `r`, each one not drawn before (a taken host moves up to the next free one). */
function hostDrawer(r: Random): () => number {
  const taken = new Set<number>();
  return () => {
    let host = r.int(1, 254);
    while (taken.has(host)) host = (host % 254) + 1;
    taken.add(host);
    return host;
  };
}

/**
 * Builds the world's IP plan from `r` (the same seed gives the same plan). Distinct draws give distinct addresses:
 * a household is (block, subnet, host), a pool's addresses are distinct hosts of its /24.
 */
export function createNetworks(r: Random): Networks {
  const byCountry = new Map<string, CountryNet>();
  const net = (country: string): CountryNet => {
    let n = byCountry.get(country);
    if (!n) {
      const campusHost = hostDrawer(r);
      n = {
        residential: Array.from({ length: RESIDENTIAL_BLOCKS }, (_, i) => i),
        // Carrier-grade NAT: a small pool of addresses for a whole carrier's subscribers.
        mobile: Array.from({ length: 48 }, (_, i) => `${pool24(country, 'mobile')}.${i * 5 + 3}`),
        campus: Array.from({ length: 24 }, () => `${pool24(country, 'campus')}.${campusHost()}`),
      };
      byCountry.set(country, n);
    }
    return n;
  };
  const vpnHosts = new Map(VPN_COUNTRIES.map((c) => [c, hostDrawer(r)]));
  const vpnExits = Array.from({ length: 160 }, (_, i) => {
    const country = VPN_COUNTRIES[i % VPN_COUNTRIES.length]!;
    // Three draws per exit: the world's later draws (households, trips), and so all pinned traffic, depend on it.
    r.int(0, 255);
    r.int(0, 255);
    return [`${pool24(country, 'vpn')}.${vpnHosts.get(country)!()}`, country] as const;
  });
  const travelPool = [...SHOP_COUNTRIES.map(([c]) => c), ...TRAVEL_ONLY];
  return {
    residential(country) {
      // Subnets 0x100–0x6ff: never a zero group, so the address is written the one canonical way (RFC 5952).
      const block = r.pick(net(country).residential);
      const subnet = ((block + 1) << 8) | r.int(0, 255);
      return `${planOf(country)[1]}:${subnet.toString(16)}::${r.int(1, 254).toString(16)}`;
    },
    mobile: (country) => r.pick(net(country).mobile),
    campus: (country) => r.pick(net(country).campus),
    vpn: () => r.pick(vpnExits),
    travelCountry(home) {
      for (;;) {
        const c = r.pick(travelPool);
        if (c !== home) return c;
      }
    },
  };
}
