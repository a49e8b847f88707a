import { PipeTransform } from '@nestjs/common';
import { notFound } from './api-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that is not a UUID names nothing: the same 404 as an unknown id (docs/api.md). */
export class ResourceIdPipe implements PipeTransform<string, string> {
  constructor(private readonly resource: string) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw notFound(this.resource);
    return value.toLowerCase();
  }
}
