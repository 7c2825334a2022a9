/**
 * `scopes discover URL`: the chain `login --resource URL` follows, without logging in — each document fetched, each
 * decision and the rule behind it. Exit 0 when the chain reaches a usable authorization server, else the exit code of
 * what stopped it (2, 3 or 4), after printing how far it got.
 */
import type { Command } from 'commander';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode } from '../errors.js';
import { styleFor } from '../render/style.js';
import { commandContext } from './context.js';
import { renderSteps, runDiscovery } from './login-resource.js';
import { jsonText } from '../render/json.js';

export interface DiscoverOptions {
  readonly url: string;
  readonly issuer?: string | undefined;
  readonly scope: readonly string[];
  readonly allowNoPkceMetadata: boolean;
}

export async function runDiscover(deps: Deps, globals: GlobalOptions, options: DiscoverOptions): Promise<number> {
  const context = await commandContext(deps, globals);
  const outcome = await runDiscovery(context, { resource: options.url, issuer: options.issuer, scope: options.scope, allowNoPkceMetadata: options.allowNoPkceMetadata });
  const found = outcome.discovery;
  if (globals.json) {
    deps.io.out.write(
      jsonText(deps.io.out, {
        resource: options.url,
        steps: outcome.steps,
        result: found
          ? {
              resource: found.resource,
              resourceMetadataUrl: found.resourceMetadataUrl,
              authorizationServers: found.resourceMetadata.authorizationServers,
              issuer: found.issuer,
              serverMetadataUrl: found.serverMetadataUrl,
              scopes: found.scopes.scopes,
              scopesRule: found.scopes.rule,
              registrationEndpoint: typeof found.serverMetadata.registration_endpoint === 'string' ? found.serverMetadata.registration_endpoint : null,
              clientIdMetadataDocumentSupported: found.serverMetadata.client_id_metadata_document_supported === true,
            }
          : null,
        error: outcome.failure ? { code: outcome.failure.code, message: outcome.failure.message, ...(outcome.failure.hint ? { hint: outcome.failure.hint } : {}), exitCode: outcome.failure.exitCode } : null,
      }),
    );
    if (outcome.failure) deps.io.err.write(`error: ${outcome.failure.message}\n${outcome.failure.hint ? `${outcome.failure.hint}\n` : ''}`);
    return outcome.failure ? outcome.failure.exitCode : ExitCode.ok;
  }
  const out = styleFor(deps.io.out);
  const lines = [`From ${out.bold(options.url)}:`, renderSteps(outcome.steps), ''];
  if (found) {
    const client =
      found.serverMetadata.client_id_metadata_document_supported === true
        ? 'a client id, a Client ID Metadata Document URL (--client-id https://…), or dynamic registration'
        : typeof found.serverMetadata.registration_endpoint === 'string'
          ? 'a client id, or dynamic registration (RFC 7591) at login'
          : 'a client id registered there (--client-id; the server offers no dynamic registration)';
    lines.push(
      `${out.ok('Ready')}: log in to ${found.issuer} with ${client}:`,
      `  scopes login --resource ${options.url}${options.issuer ? ` --issuer ${options.issuer}` : ''}`,
    );
    deps.io.out.write(`${lines.join('\n')}\n`);
    return ExitCode.ok;
  }
  deps.io.out.write(`${lines.join('\n')}\n`);
  throw outcome.failure!;
}

export const discoverAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const options = command.opts<{ issuer?: string; scope?: string[]; allowNoPkceMetadata?: boolean }>();
  return runDiscover(deps, globalsOf(command, deps), {
    url: command.args[0]!,
    issuer: options.issuer,
    scope: options.scope ?? [],
    allowNoPkceMetadata: Boolean(options.allowNoPkceMetadata),
  });
};
