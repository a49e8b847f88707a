-- A rotated webhook secret keeps signing deliveries, beside the new one, until it expires (docs/webhooks.md).
ALTER TABLE "webhook_endpoints" ADD COLUMN "previous_secret" TEXT,
ADD COLUMN "previous_secret_expires_at" TIMESTAMPTZ(3);
