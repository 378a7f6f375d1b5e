import { AppError } from '../errors.js';
import type { PasswordGate } from './password-gate.js';
import { assertPasswordPolicy } from './password-policy.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import type { LoginThrottle } from './throttle.js';
import type { TokenRegistry } from './token-registry.js';
import type { IssuedToken, Principal, Role, TokenIssuer, VerifiedPrincipal } from './tokens.js';
import type { UserRecord, UserStore } from './users.js';

export interface AuthSettings {
  /** Whether anonymous callers may create (non-admin) users. On locally, off by default when deployed. */
  readonly allowSelfRegistration: boolean;
  /** Failed-login counting; without it (unit tests of pure logic) logins are not throttled. */
  readonly throttle?: LoginThrottle;
  /** Bounds concurrent password hashing; without it, unbounded. */
  readonly gate?: PasswordGate;
}

/** Who is asking: a verified token's principal, or the CLI acting with the stage's credentials. */
export type Caller = VerifiedPrincipal | { readonly operator: true };

const isOperator = (caller: Caller | undefined): caller is { readonly operator: true } =>
  caller !== undefined && 'operator' in caller;

/** The CLI: it holds the stage's credentials, so it acts as an admin would. */
export const OPERATOR: Caller = { operator: true };

export class AuthService {
  constructor(
    private readonly users: UserStore,
    private readonly tokens: TokenIssuer,
    private readonly registry: TokenRegistry,
    private readonly settings: AuthSettings,
  ) {}

  /**
   * Creates a user. Anonymous callers get role `user` and only when self-registration is on;
   * an admin (whose token is still current) may create users with any role.
   */
  async register(
    input: { username: string; password: string; role?: Role },
    caller?: Caller,
  ): Promise<Principal> {
    const role = input.role ?? 'user';
    const admin = await this.isAdmin(caller);
    if (!admin) {
      if (!this.settings.allowSelfRegistration) {
        throw new AppError(
          'REGISTRATION_DISABLED',
          'self-registration is disabled; ask an admin to create your user',
        );
      }
      if (role !== 'user')
        throw new AppError('FORBIDDEN', `only an admin can create users with role "${role}"`);
    }
    await assertPasswordPolicy(input.password, input.username);
    await this.users.create({
      username: input.username,
      role,
      password: await hashPassword(input.password),
      createdAt: new Date().toISOString(),
      tokenVersion: 0,
    });
    return { username: input.username, role };
  }

  /**
   * Password grant. The attempt is counted before any password work (429 when the counters are
   * full); unknown user and wrong password then give the same error after the same scrypt work.
   */
  async login(username: string, password: string, address = 'unknown'): Promise<IssuedToken> {
    const user = await this.checkPassword(username, password, address);
    return this.tokens.issue({ username: user.username, role: user.role }, user.tokenVersion ?? 0);
  }

  private async checkPassword(username: string, password: string, address: string): Promise<UserRecord> {
    const attempt = await this.settings.throttle?.begin(username, address);
    let ok: boolean;
    let user: UserRecord | undefined;
    try {
      user = await this.users.get(username);
      const hash = user?.password ?? (await decoyHash());
      const check = () => verifyPassword(password, hash);
      ok = await (this.settings.gate ? this.settings.gate.run(check, attempt?.known) : check());
    } catch (error) {
      await attempt?.abandoned(); // never tried: give the slots back
      throw error;
    }
    if (!user || !ok) throw new AppError('INVALID_CREDENTIALS', 'incorrect username or password');
    await attempt?.succeeded();
    return user;
  }

  /**
   * Sets a new password and revokes the user's earlier tokens. Users change their own (with the
   * current password, counted like a sign-in); admins and the CLI may reset anyone's.
   */
  async changePassword(
    username: string,
    input: { currentPassword?: string; newPassword: string },
    caller: Caller,
    address = 'unknown',
  ): Promise<{ tokenVersion: number }> {
    const admin = await this.isAdmin(caller);
    if (!admin) {
      const self = caller as VerifiedPrincipal;
      if (self.username !== username) {
        throw new AppError('FORBIDDEN', "changing another user's password needs the admin role");
      }
      await this.registry.requireCurrent(self);
      if (input.currentPassword === undefined) {
        throw new AppError('VALIDATION_FAILED', 'current_password is required to change your own password', {
          details: [{ field: 'current_password', message: 'is required' }],
        });
      }
      await this.checkPassword(username, input.currentPassword, address).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'INVALID_CREDENTIALS') {
          throw new AppError('INVALID_CREDENTIALS', 'current password is incorrect');
        }
        throw error;
      });
    }
    await assertPasswordPolicy(input.newPassword, username);
    const tokenVersion = await this.users.setPassword(username, await hashPassword(input.newPassword));
    return { tokenVersion };
  }

  /** Revokes every token issued to `username` so far (sign out everywhere). Self, admin or CLI. */
  async revokeTokens(username: string, caller: Caller): Promise<{ tokenVersion: number }> {
    if (!(await this.isAdmin(caller))) {
      const self = caller as VerifiedPrincipal;
      if (self.username !== username) {
        throw new AppError('FORBIDDEN', "revoking another user's tokens needs the admin role");
      }
      await this.registry.requireCurrent(self);
    }
    return { tokenVersion: await this.users.bumpTokenVersion(username) };
  }

  /** The CLI, or a caller whose admin token is current (checked against the users table). */
  private async isAdmin(caller: Caller | undefined): Promise<boolean> {
    if (!caller) return false;
    if (isOperator(caller)) return true;
    if (caller.role !== 'admin') return false;
    await this.registry.requireCurrent(caller, 'admin');
    return true;
  }
}
