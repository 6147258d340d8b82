/**
 * The city key of the tests (issue 9): its public key is the one shipped in resources/keys (so an
 * office trusts it by default), its private key tests/fixtures/keys/city-private.pem. Since issue 9
 * a commune receives templates only as files the city signed: tests sign theirs with it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CityKeyPair } from '../../core/requests/sign.js';
import { signFile } from '../../core/requests/sign.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const CITY_KEY: CityKeyPair = {
  publicPem: readFileSync(`${root}resources/keys/city-public.pem`, 'utf8'),
  privatePem: readFileSync(`${root}tests/fixtures/keys/city-private.pem`, 'utf8'),
};

/** A signed template file of the city (templates given as their data), as a call's file input. */
export function signedTemplateFile(templates: unknown[], fileName: string): { fileName: string; data: string } {
  return { fileName, data: signFile('template', { templates }, CITY_KEY).toString('base64') };
}
