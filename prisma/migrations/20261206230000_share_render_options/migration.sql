-- Mermaid's layout engine and look, chosen when a share is made (issue 14). NULL is the engine's default.
ALTER TABLE "shares" ADD COLUMN "layout" TEXT;
ALTER TABLE "shares" ADD COLUMN "look" TEXT;
