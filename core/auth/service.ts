import { AppError } from '../errors.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import type { LoginThrottle } from './throttle.js';
import type { IssuedToken, Principal, Role, TokenService } from './tokens.js';
import type { UserStore } from './users.js';

export interface AuthSettings {
  /** Whether anonymous callers may create (non-admin) users. On locally, off by default when deployed. */
  readonly allowSelfRegistration: boolean;
  /** Failed-login counting; without it (unit tests of pure logic) logins are not throttled. */
  readonly throttle?: LoginThrottle;
}

export class AuthService {
  constructor(
    private readonly users: UserStore,
    private readonly tokens: TokenService,
    private readonly settings: AuthSettings,
  ) {}

  /**
   * Creates a user. Anonymous callers get role `user` and only when self-registration is on;
   * an admin caller may create users with any role.
   */
  async register(
    input: { username: string; password: string; role?: Role },
    caller?: Principal,
  ): Promise<Principal> {
    const role = input.role ?? 'user';
    if (caller?.role !== 'admin') {
      if (!this.settings.allowSelfRegistration) {
        throw new AppError(
          'REGISTRATION_DISABLED',
          'self-registration is disabled; ask an admin to create your user',
        );
      }
      if (role !== 'user')
        throw new AppError('FORBIDDEN', `only an admin can create users with role "${role}"`);
    }
    await this.users.create({
      username: input.username,
      role,
      password: await hashPassword(input.password),
      createdAt: new Date().toISOString(),
    });
    return { username: input.username, role };
  }

  /**
   * Password grant. Unknown user and wrong password give the same error after the same scrypt
   * work and the same throttle writes; a locked name is refused before any password check.
   */
  async login(username: string, password: string): Promise<IssuedToken> {
    const throttle = this.settings.throttle;
    const hadFailures = (await throttle?.check(username)) ?? false;
    const user = await this.users.get(username);
    const ok = await verifyPassword(password, user?.password ?? (await decoyHash()));
    if (!user || !ok) {
      await throttle?.recordFailure(username);
      throw new AppError('INVALID_CREDENTIALS', 'incorrect username or password');
    }
    if (hadFailures) await throttle?.reset(username);
    return this.tokens.issue({ username: user.username, role: user.role });
  }

  authenticate(token: string): Promise<Principal> {
    return this.tokens.verify(token);
  }
}
