/**
 * Run by `npm run build` (node dist/guards/pii/prebuild-word-tables.js): builds the PII
 * recognizers' word tables and writes them in dist/word-tables/, so that starting the gateway
 * reads them instead of building them from the word lists (see prebuilt-tables.ts).
 */
import { capitalisedWords } from "./person.js";
import { writeWordTable } from "./prebuilt-tables.js";
import { commonEnglishWords } from "./street-address.js";

for (const table of [capitalisedWords, commonEnglishWords]) writeWordTable(table);
