import { CreateUserBody, TokenBody } from '../../core/api/schemas.js';
import { authService } from '../../core/services.js';
import { optionalPrincipal } from '../shared/auth.js';
import { httpHandler, json, parseFormOrJson, parseJson, validate } from '../shared/http.js';

/** POST /users and POST /token (OAuth2 password grant). */
export const handler = httpHandler({
  'POST /users': async (event, ctx) => {
    const body = validate(CreateUserBody, parseJson(event));
    const caller = await optionalPrincipal(event);
    const user = await authService().register(body, caller);
    return json(201, { username: user.username, role: user.role, request_id: ctx.requestId });
  },
  'POST /token': async (event, ctx) => {
    const body = validate(TokenBody, parseFormOrJson(event));
    const token = await authService().login(body.username, body.password);
    return json(200, { ...token, request_id: ctx.requestId }, { 'cache-control': 'no-store' });
  },
});
