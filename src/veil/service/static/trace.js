// The trace page: verify every entry in this browser and mark it (see verify.js).
import { markTrace } from "./verify.js";

markTrace(document);
