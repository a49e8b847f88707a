-- AI edits, repair and generation in any language (issue 18): what a generation does, the language
-- of the source it writes, and the revision an edit made of its diagram.
ALTER TABLE "generations" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'generate';
ALTER TABLE "generations" ADD COLUMN "source_format" TEXT NOT NULL DEFAULT 'mermaid';
ALTER TABLE "generations" ADD COLUMN "revision" INTEGER;
