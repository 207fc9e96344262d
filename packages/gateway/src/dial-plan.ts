import { GatewayError } from './errors.js';

/**
 * Allowlist of callee patterns per account, to stop toll fraud: a call goes out only when its
 * callee fully matches one of the account's patterns (or the default patterns for accounts
 * without their own list). No patterns at all means no restriction.
 */
export interface DialPlanConfig {
  /** Regular expressions (matched against the whole callee) for accounts without their own. */
  readonly defaultPatterns: readonly string[];
  /** Per account login. */
  readonly accounts: Readonly<Record<string, readonly string[]>>;
}

export class DialPlan {
  readonly #default: readonly RegExp[];
  readonly #accounts: ReadonlyMap<string, readonly RegExp[]>;

  constructor(config: DialPlanConfig) {
    this.#default = config.defaultPatterns.map((p) =>
      compilePattern(p, 'dialPlan.defaultPatterns'),
    );
    this.#accounts = new Map(
      Object.entries(config.accounts).map(([login, patterns]) => [
        login,
        patterns.map((p) => compilePattern(p, `dialPlan.accounts.${login}`)),
      ]),
    );
  }

  allows(login: string, callee: string): boolean {
    const patterns = this.#accounts.get(login) ?? this.#default;
    return patterns.length === 0 || patterns.some((p) => p.test(callee));
  }
}

/** Compiles one pattern anchored at both ends; a bad one is an INVALID_CONFIG naming `setting`. */
export function compilePattern(pattern: string, setting: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (error) {
    throw new GatewayError('INVALID_CONFIG', `${setting}: "${pattern}" is not a valid pattern`, {
      cause: error,
      details: { setting },
    });
  }
}
