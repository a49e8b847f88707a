-- Revisions of diagrams (issue 18): every change of a diagram's name or source is kept, numbered
-- from 1. Each existing diagram gets its current content as revision 1.
ALTER TABLE "diagrams" ADD COLUMN "revision" INTEGER NOT NULL DEFAULT 1;

CREATE TABLE "diagram_revisions" (
    "diagram_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "source_format" TEXT NOT NULL,
    "diagram_type" TEXT,
    "api_key_id" UUID,
    "created_by" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "diagram_revisions_pkey" PRIMARY KEY ("diagram_id","number")
);

ALTER TABLE "diagram_revisions" ADD CONSTRAINT "diagram_revisions_diagram_id_fkey" FOREIGN KEY ("diagram_id") REFERENCES "diagrams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "diagram_revisions" ("diagram_id", "number", "name", "source", "source_format", "diagram_type", "created_by", "created_at")
SELECT "id", 1, "name", "source", "source_format", "diagram_type", "created_by", "updated_at" FROM "diagrams";

-- A share of a diagram pins a revision unless it follows the newest (NULL: the shares made before
-- revisions existed keep following their diagram, as they did).
ALTER TABLE "shares" ADD COLUMN "revision" INTEGER;
