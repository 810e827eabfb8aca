import type { z } from 'zod';
import type { Scope, TerminalType } from './vocabulary.js';

/**
 * Who may call a route: anyone (over TLS), terminals of some types (mutual TLS with a certificate
 * of the service's CA), operators holding a scope (or any operator). A route may admit both
 * terminals and operators.
 */
export interface Access {
  public?: true;
  terminals?: readonly TerminalType[];
  scope?: Scope;
  /** Any valid operator token, whatever its scopes (an operator's own token, e.g. to rotate it). */
  anyOperator?: true;
  /** Also admitted without credentials: a peer on a loopback address (the host's own monitoring). */
  loopback?: true;
}

export interface ResponseContract {
  description: string;
  /** The answer's JSON body; absent for answers that are not JSON (metrics). */
  body?: z.ZodType;
  /** For answers that are not JSON. */
  contentType?: string;
}

/**
 * One operation of the API as its callers see it. The service registers exactly these routes
 * (each with its handler), and the OpenAPI document is generated from them.
 */
export interface RouteContract {
  /** Unique and stable: the name generated clients give the call. */
  operationId: string;
  method: 'get' | 'post' | 'patch';
  /** Express-style template: `/v1/cards/:cardNumber`. */
  path: string;
  summary: string;
  tag: RouteTag;
  access: Access;
  body?: z.ZodType;
  /**
   * The largest body this route reads, where it takes more than the service's configured limit
   * (a bank's day of withdrawals): read only once the caller is identified and allowed in.
   */
  bodyLimitBytes?: number;
  query?: z.ZodType;
  /** The answers besides the common problem answers, by status. */
  responses: Readonly<Record<number, ResponseContract>>;
}

/** The groups of the API in the OpenAPI document; a new area of the API adds its tag here. */
export const ROUTE_TAGS = {
  ops: 'Liveness, metrics and this document',
  terminal: 'Calls a terminal makes with its client certificate',
  operator: 'Registry administration with an operator token',
} as const;
export type RouteTag = keyof typeof ROUTE_TAGS;

/** Declares a route, keeping its literal `operationId` so that handlers can be checked against it. */
export const route = <const C extends RouteContract>(contract: C): C => contract;

/**
 * What a route answers with on success, as the service may build it (before any default or
 * transform of the schema): the union of its 2xx JSON bodies; `unknown` for answers that are not JSON.
 */
export type RouteAnswer<C extends RouteContract> = {
  [S in keyof C['responses']]: S extends 200 | 201 | 202 | 204
    ? C['responses'][S] extends { body: infer B extends z.ZodType }
      ? z.input<B>
      : unknown
    : never;
}[keyof C['responses']];

/** The body type a route accepts once validated. */
export type RouteBody<C extends RouteContract> = C['body'] extends z.ZodType
  ? z.output<C['body']>
  : undefined;
/** The query a route accepts once validated (defaults applied). */
export type RouteQuery<C extends RouteContract> = C['query'] extends z.ZodType
  ? z.output<C['query']>
  : undefined;
