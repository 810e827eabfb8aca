import { z } from 'zod';

/**
 * The named schemas of the API: every request, query and answer body a route names is registered
 * here under the name the OpenAPI document gives it (`components/schemas/<id>`), and so are the
 * shapes worth naming inside them.
 */
export const contracts = z.registry<{ id: string }>();
