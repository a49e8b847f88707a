import { Body, Controller, Delete, Get, HttpCode, Param, Patch, PipeTransform, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { WEBHOOK_DELIVERY_ID_PATTERN, WEBHOOK_ENDPOINT_ID_PATTERN } from '@flowsmith/webhooks';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { notFound } from '../common/api-error';
import { ListQueryDto } from '../common/pagination';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiEndpoint, ApiList, ApiOk } from '../openapi/api-docs.decorators';
import { CreateWebhookEndpointDto, RotateWebhookSecretDto, UpdateWebhookEndpointDto } from './webhook.dto';
import { CreatedWebhookEndpointResource, DeletedWebhookEndpoint, WebhookDeliveryResource, WebhookEndpointResource } from './webhook.schemas';
import { WebhookEndpointsService } from './webhook-endpoints.service';

/** A path id not of the resource's form names nothing: the same 404 as an unknown id (docs/api.md). */
class WebhookIdPipe implements PipeTransform<string, string> {
  constructor(
    private readonly resource: string,
    private readonly pattern: RegExp,
  ) {}

  transform(value: string): string {
    if (!this.pattern.test(value)) throw notFound(this.resource);
    return value;
  }
}

const EndpointId = () => Param('id', new WebhookIdPipe('Webhook endpoint', WEBHOOK_ENDPOINT_ID_PATTERN));
const DeliveryId = () => Param('delivery_id', new WebhookIdPipe('Webhook delivery', WEBHOOK_DELIVERY_ID_PATTERN));

@ApiTags('Webhooks')
@Controller('v1/webhook_endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @ApiEndpoint('Create a webhook endpoint', { description: 'Events of the key\'s owner are POSTed to `url`, signed with the `secret` this answer shows once (docs/webhooks.md).' })
  @ApiOk(CreatedWebhookEndpointResource, { status: 201, description: 'The endpoint, with its signing secret.' })
  @RequireScope('webhooks')
  @Idempotent()
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateWebhookEndpointDto) {
    return this.endpoints.create(actor, body);
  }

  @Get()
  @ApiEndpoint('List webhook endpoints')
  @ApiList(WebhookEndpointResource)
  @RequireScope('webhooks')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListQueryDto) {
    return this.endpoints.list(actor, query);
  }

  @Get(':id')
  @ApiEndpoint('Get a webhook endpoint')
  @ApiOk(WebhookEndpointResource, { description: 'The endpoint (without its secret).' })
  @RequireScope('webhooks')
  get(@CurrentKey() actor: KeyActor, @EndpointId() id: string) {
    return this.endpoints.get(actor, id);
  }

  @Patch(':id')
  @ApiEndpoint('Update a webhook endpoint', { description: 'Any of url, events, description, enabled; `enabled: true` turns a disabled endpoint back on.' })
  @ApiOk(WebhookEndpointResource, { description: 'The updated endpoint.' })
  @RequireScope('webhooks')
  update(@CurrentKey() actor: KeyActor, @EndpointId() id: string, @Body() body: UpdateWebhookEndpointDto) {
    return this.endpoints.update(actor, id, body);
  }

  @Post(':id/rotate_secret')
  @HttpCode(200)
  @ApiEndpoint('Rotate a webhook endpoint\'s secret', {
    description: 'A new signing secret, shown once. Deliveries carry a signature by the old secret too (a second `v1`) for `expires_in_seconds` (a day by default), so receivers can switch without losing one (docs/webhooks.md).',
  })
  @ApiOk(CreatedWebhookEndpointResource, { description: 'The endpoint, with its new signing secret.' })
  @RequireScope('webhooks')
  rotateSecret(@CurrentKey() actor: KeyActor, @EndpointId() id: string, @Body() body: RotateWebhookSecretDto) {
    return this.endpoints.rotateSecret(actor, id, body);
  }

  @Delete(':id')
  @ApiEndpoint('Delete a webhook endpoint', { description: 'With its delivery log; deliveries still pending are not sent.' })
  @ApiOk(DeletedWebhookEndpoint, { description: 'The deleted marker.' })
  @RequireScope('webhooks')
  delete(@CurrentKey() actor: KeyActor, @EndpointId() id: string) {
    return this.endpoints.delete(actor, id);
  }

  @Get(':id/deliveries')
  @ApiEndpoint('List an endpoint\'s deliveries', { description: 'The delivery log: each event sent to the endpoint, with its status, attempts and last outcome.' })
  @ApiList(WebhookDeliveryResource)
  @RequireScope('webhooks')
  deliveries(@CurrentKey() actor: KeyActor, @EndpointId() id: string, @Query() query: ListQueryDto) {
    return this.endpoints.deliveries(actor, id, query);
  }

  @Post(':id/deliveries/:delivery_id/replay')
  @ApiEndpoint('Replay a delivery', { description: 'Sends the delivery\'s event again (same event id) as a new delivery, at once, even to a disabled endpoint.' })
  @ApiOk(WebhookDeliveryResource, { status: 201, description: 'The new delivery.' })
  @RequireScope('webhooks')
  replay(@CurrentKey() actor: KeyActor, @EndpointId() id: string, @DeliveryId() deliveryId: string) {
    return this.endpoints.replay(actor, id, deliveryId);
  }
}
