-- Source formats become text: the languages are listed once, in libs/contracts/src/languages.ts,
-- and a new language needs no migration. The API accepts only the registry's names.
ALTER TABLE "diagrams" ALTER COLUMN "source_format" TYPE TEXT USING "source_format"::TEXT;
ALTER TABLE "shares" ALTER COLUMN "source_format" TYPE TEXT USING "source_format"::TEXT;
DROP TYPE "SourceFormat";
