import { CreateUserBody, TokenBody, type TokenResponse, type UserCreated } from '../../core/api/schemas.js';
import { authService } from '../../core/services/auth.js';
import { optionalPrincipal } from '../shared/auth.js';
import {
  httpHandler,
  json,
  parseFormOrJson,
  parseJson,
  type ResponseBody,
  validate,
} from '../shared/http.js';

/** POST /users and POST /token (OAuth2 password grant). */
export const handler = httpHandler({
  'POST /users': async (event) => {
    const body = validate(CreateUserBody, parseJson(event));
    const caller = await optionalPrincipal(event);
    const user = await authService().register(body, caller);
    return json(201, { username: user.username, role: user.role } satisfies ResponseBody<typeof UserCreated>);
  },
  'POST /token': async (event) => {
    const body = validate(TokenBody, parseFormOrJson(event));
    const token = await authService().login(body.username, body.password);
    return json(200, token satisfies ResponseBody<typeof TokenResponse>, { 'cache-control': 'no-store' });
  },
});
