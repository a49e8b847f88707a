import { Injectable, OnApplicationBootstrap, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { API_PREFIX, isUnprefixed } from '../operations/unprefixed-paths';
import { ACCESS_METADATA, AccessPolicy } from './access.decorator';

export interface CatalogRoute {
  method: string;
  /** The path as mounted, e.g. `/api/v1/diagrams/:id`. */
  path: string;
  handler: string;
  /** The controller class; `handler` is `<controller name>.<method name>`. */
  controller: Type<unknown>;
  access: AccessPolicy | undefined;
}

/**
 * Every route the gateway serves, with its access policy. The gateway refuses to boot when a
 * route has none, and the scope tests walk this list so that a new route cannot go untested.
 */
@Injectable()
export class RouteCatalog implements OnApplicationBootstrap {
  private catalog: CatalogRoute[] = [];
  globalPrefix = API_PREFIX;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    this.catalog = this.scan();
    const bare = this.catalog.filter((route) => !route.access);
    if (bare.length) {
      throw new Error(`Routes without an access policy: ${bare.map((r) => `${r.method} ${r.path} (${r.handler})`).join(', ')}`);
    }
  }

  routes(): CatalogRoute[] {
    return this.catalog;
  }

  private scan(): CatalogRoute[] {
    const routes: CatalogRoute[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.metatype) continue;
      const base = this.reflector.get<string | string[]>(PATH_METADATA, wrapper.metatype) ?? '';
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
        const path = this.reflector.get<string | string[] | undefined>(PATH_METADATA, handler);
        if (path === undefined) continue;
        const method = RequestMethod[this.reflector.get<RequestMethod>(METHOD_METADATA, handler)];
        const joined = '/' + [base, path].flat().join('/').split('/').filter(Boolean).join('/');
        const mounted = isUnprefixed(joined) ? joined : `/${this.globalPrefix}${joined}`;
        routes.push({
          method,
          path: mounted,
          handler: `${wrapper.metatype.name}.${name}`,
          controller: wrapper.metatype as Type<unknown>,
          access: this.reflector.get<AccessPolicy | undefined>(ACCESS_METADATA, handler),
        });
      }
    }
    return routes;
  }
}
