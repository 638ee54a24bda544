/**
 * The customer bundle: the live parts of the server-rendered portal pages. Forms post JSON and
 * show errors inline, the pick-agent menu stays live, and the request page follows its request
 * over one WebSocket (status, chat). Everything works without it up to the submit.
 */
import { textsFor } from "../../shared/i18n/portal.js";
import { watchAgents } from "./agents.js";
import { enhanceForms } from "./forms.js";
import { startRequestPage } from "./requestPage.js";

const lang = document.documentElement.lang || "en";
const t = textsFor(lang);
const refreshAgents = watchAgents(t);
enhanceForms(t, lang, refreshAgents);
startRequestPage(t, lang);
