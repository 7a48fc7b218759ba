/**
 * What prompt injections and jailbreaks say, as lexical features: each a pattern over the
 * lower-cased text, counted up to a cap. The phrasings come from the published attack families —
 * instruction override, system-prompt and secret extraction, instructions planted in documents,
 * e-mails and web pages (Greshake et al. 2023), payload splitting, token smuggling, persuasion,
 * many-shot and repeated-token attacks (OWASP LLM01, CyberSecEval's taxonomy), and persona
 * jailbreaks of the DAN family — not from any evaluation data.
 *
 * Every match of a pattern begins at one of its start words, which is what keeps scanning cheap:
 * the word scan (scan.ts) finds where those words are, and the pattern is tried only there
 * (features.ts). Context before the start word goes in a lookbehind. A start is a word (a run of
 * a–z and 0–9), "~x" for a word containing x (the match starts at that word), or any other string
 * for itself (the match starts where it does). tests/guards/injection-features.test.ts checks,
 * over the evaluation texts, that trying only the starts finds what scanning everywhere finds.
 */

export type InjectionType = "PROMPT_INJECTION" | "JAILBREAK";

/**
 * How much one feature may say on its own (features.ts bounds the fitted weights accordingly):
 * decisive — an attack whatever else the text says; weak — common in harmless use too (a mention
 * of ChatGPT, of a password, "in your answer …"), so never enough alone; strong — the rest.
 */
export type Strength = "decisive" | "strong" | "weak";

export interface LexicalFeature {
  name: string;
  type: InjectionType;
  strength: Strength;
  starts: string[];
  /** The pattern source; matched over the lower-cased reading unless caseSensitive. */
  source: string;
  /** Matches at which the value saturates at 1 (1: presence); the first match counts most (features.ts). */
  cap: number;
  caseSensitive: boolean;
}

const PI = "PROMPT_INJECTION" as const;
const JB = "JAILBREAK" as const;

/** Within one sentence: up to n characters that do not end it. */
const within = (n: number) => String.raw`[^.!?\n]{0,${n}}`;
const words = (list: string) => list.trim().split(/\s+/);

function lex(name: string, type: InjectionType, starts: string, source: string, cap = 1, caseSensitive = false): LexicalFeature {
  return { name, type, strength: WEAK.has(name) ? "weak" : "strong", starts: words(starts), source, cap, caseSensitive };
}

/** A feature that is an attack on its own (see Strength). */
const decisive = (feature: LexicalFeature): LexicalFeature => ({ ...feature, strength: "decisive" });

/** Features that describe things harmless prompts do too: evidence only together with others. */
const WEAK = new Set([
  "authority-claim", "authority-social", "secret-target", "secret-request", "sysprompt-target", "private-data-request", "person-data-request",
  "decode-request", "obfuscate-output", "char-transform", "bribe-threat", "social-engineering", "hypothetical-frame", "topic-pivot",
  "fake-dialogue", "output-hijack", "your-output", "exfil-url-template", "link-insertion", "urgent-action", "attention-label", "risky-code",
  "custom-gpt", "ai-self-reference", "persona-ai", "persona-switch", "from-now-on", "never-refuse", "content-policy", "jailbreak-word",
  "evil-persona", "harm-topic", "profanity", "prompt-placeholder", "game-frame", "slash-commands", "shouted-absolutes", "developer-mode",
  "persona-config", "every-response", "forced-reply",
]);

/**
 * A list of words and phrases, each matched whole; a phrase starts at its last word, the others in
 * a lookbehind. standalone: not inside a host name, path or identifier (ai.github.io, portkey-ai,
 * openai/providers), which a document names as things rather than talks about.
 */
function wordList(name: string, type: InjectionType, list: string, cap: number, standalone = false): LexicalFeature {
  const entries = list.trim().split(/\s*,\s*/);
  const starts = new Set<string>();
  const alternatives = entries.map((entry) => {
    const at = entry.search(/[a-z0-9]+$/);
    starts.add(entry.slice(at));
    const before = entry.slice(0, at).replace(/[-.]/g, "\\$&");
    if (before) return `(?<=\\b${before})${entry.slice(at)}`;
    return standalone ? `(?<![./@_-])\\b${entry}` : `\\b${entry}`;
  });
  const after = standalone ? String.raw`(?![./@_-]\w)` : "";
  return { name, type, strength: WEAK.has(name) ? "weak" : "strong", starts: [...starts], source: `(?:${alternatives.join("|")})\\b${after}`, cap, caseSensitive: false };
}

// Vocabulary shared by several features.
// Overriding what the model was told: verbs that mean nothing else take any of its inputs as their
// object; verbs that software documentation uses all the time (skip the input rows, reset the
// settings, override the default command) only what governs a model.
const OVERRIDE_VERB = String.raw`(?:ignore|ignoring|disregard|disregarding|forget(?!(?:ting)? to\b)|forgetting|overlook|neglect|abandon|set aside|stop following|do not follow|don't follow|no longer follow)\b`;
/** Not what something else is let do ("may let requests bypass those restrictions"), only what the reader (or "me") is told to. */
const NOT_LET_THEM = String.raw`(?<!\b(?:let|lets|letting|allow|allows|allowing)\s+(?!me\s|us\s)\w+\s+)`;
const OVERRIDE_TECHNICAL_VERB = String.raw`(?:skip|bypass|override|discard|throw out|drop|erase|reset)\b`;
const OVERRIDE_WHICH = String.raw`(?:previous|previously|prior|above|earlier|preceding|foregoing|initial|original|old|existing|given|your|all|any|every|these|those|system|developer|default|current)\b`;
const GUIDANCE = String.raw`(?:instructions?|prompts?|rules|directives?|guidelines|constraints|polic(?:y|ies)|programming|restrictions|orders|training|guidance|limitations|safeguards|filters?|moderation)`;
const SECRET = String.raw`(?:password|passphrase|passcode|pass code|passwort|contraseña|mot de passe|senha|пароль|密码|口令|パスワード|비밀번호|secret (?:key|code|word|phrase|token|number|string)|api key|access (?:code|key|token)|credentials|private key|confidential (?:string|code|key|data|information)|pin code|security code|auth(?:entication)? token)`;
const SECRET_STARTS = "password passphrase passcode pass passwort contraseña mot senha пароль 密码 口令 パスワード 비밀번호 secret api access credentials private confidential pin security auth authentication";
const OUTPUT = "(?:reply|replies|response|responses|answer|answers|message|output|summary|solution|code|implementation|codebase|translation|completion|text|writing|result)";
/** What the assistant answers with: every-response. */
const ANSWERS = String.raw`(?:reply|replies|response|responses|answer|answers|message|messages|output|outputs|prompt|prompts)\b`;
const AI = "(?:ai|assistant|language model|llm|chatbot|bot|model|gpt|chatgpt|claude|gemini|copilot)";
const AI_STARTS = "ai ais assistant assistants language model models llm llms chatbot chatbots bot bots gpt chatgpt claude gemini copilot";

export const LEXICAL: readonly LexicalFeature[] = [
  // ── Overriding the instructions the model was given ──
  decisive(lex(
    "override",
    PI,
    "ignore ignoring disregard disregarding forget forgetting skip bypass override overlook neglect discard abandon set throw drop erase reset stop do don no",
    String.raw`${NOT_LET_THEM}\b(?:${OVERRIDE_VERB}(?:(?! for )[^.!?\n]){0,40}\b${OVERRIDE_WHICH}${within(30)}\b(?:${GUIDANCE}|directions?|context|commands?|messages?|tasks?|inputs?|conversation|settings|requests?|content|text)|${OVERRIDE_TECHNICAL_VERB}(?:(?! for )[^.!?\n]){0,40}\b${OVERRIDE_WHICH}${within(30)}\b${GUIDANCE})\b`,
  )),
  lex(
    "override-short",
    PI,
    "ignore disregard forget overlook",
    String.raw`\b(?:ignore|disregard|forget|overlook)\b (?:about )?(?:all |everything |anything )?(?:(?:of )?(?:that|this|the above|what (?:you|i) (?:said|were told|have been told))|everything (?:before|above|you(?:'ve| have)? (?:been|were) (?:told|instructed))|all that you(?:'ve| have) been (?:told|instructed)|the (?:above|previous|prior|earlier|resume|document|email|text|webpage|website|page|article|context|content|data|function|code|table|paper|input|question|task|story|review|message|transaction)\b)`,
    2,
  ),
  decisive(lex(
    "override-multilingual",
    PI,
    "ignora ignore ignorez ignorar ignoriere ignorieren olvida oublie oubliez oublier vergiss vergessen dimentica esqueça игнорир забудь 忽略 指示を無視 指令を無視 무시하십시오 무시해 지시 पिछले निर्देशों αγνοήστε تجاهل",
    String.raw`\bignor(?:a|ez|ar|iere|ieren sie|ieren)\b.{0,30}\b(?:instrucciones|instructions|instruções|istruzioni|anweisungen|indicaciones)|\bignore\b.{0,30}\b(?:instrucciones|instruções|istruzioni|anweisungen|indicaciones)|\b(?:olvida|oublie[zr]?|vergiss|vergessen sie|dimentica|esqueça)\b.{0,40}\b(?:instrucciones|instructions|instruções|istruzioni|anweisungen)|игнорир\S*\s.{0,30}инструкци|забудь\S*\s.{0,30}инструкци|忽略.{0,8}(?:指示|指令|说明|规则)|(?:指示|指令)を無視|무시하십시오|무시해|지시.{0,6}무시|पिछले निर्देश|निर्देशों की अनदेखी|αγνοήστε|تجاهل.{0,20}التعليمات`,
  )),
  lex(
    "redirect-instead",
    PI,
    "instead regardless actually forget never",
    String.raw`(?<=\b(?:can|could|would|will) you\b${within(120)})\binstead\b|\bregardless of (?:the |any |all )?(?:previous|prior|earlier|above|other|original) (?:tasks?|instructions?|rules|requests?)|\b(?:actually|forget (?:about )?(?:that|it)|never mind)\s*,\s*(?:can|could|please|just)\b`,
  ),
  lex(
    "new-instructions",
    PI,
    "instruction instructions task rules orders directive directives prompt command commands objective new real true actual only primary",
    String.raw`(?<=\b(?:new|updated|real|actual|revised|secret|hidden|additional|true|system|admin|administrator|developer|priority|override)\s+)(?:instructions?|task|rules|orders|directives?|prompt|commands?|objective)\s*[:\-]|(?<=\b(?:your|the) )(?:new|real|true|actual|only|primary) (?:task|goal|job|purpose|objective|instructions?|mission) (?:is|are|will be|now)\b`,
  ),
  lex(
    "privileged-mode",
    PI,
    "mode override reset update upgrade check audit code granted confirmed",
    String.raw`(?<=\b(?:god|admin|administrator|override|sudo|root|superuser|law enforcement override) )mode\b|(?<=(?:[<'"“/]|\b(?:in|into|enter|entering|enable|activate|switch to|now|unlock|engage|initiate)\s+(?:(?:the|a|an)\s+)?['"“<]?)(?:system|maintenance|debug|diagnostic|emergency|service|test|testing) )mode\b|(?<=\b(?:system|maintenance|debug|diagnostic|emergency|service|test|testing) )mode(?=\s+(?:activated|enabled|engaged|on)\b)|(?<=(?<!\bfile )\bsystem )(?:override|reset|update|upgrade|check|audit)\b|(?<=\boverride )code\b|(?<=\baccess )(?:granted|confirmed)\b|(?<=\bsecurity )(?:audit|check)\b|(?<=\b(?:developer|admin|administrator|system|training data|security|emergency|priority|root) )override\b`,
  ),
  lex(
    "authority-claim",
    PI,
    "developer developers creator creators admin administrator maintainer owner programmer engineer operator boss manager supervisor master god maker designer trainer developed created made trained built openai anthropic google meta microsoft team 私は 我是 나는",
    String.raw`(?<=\b(?:i am|i'm|this is|as)\s+(?:your|the|an?|one of your)\s+(?:(?:lead|senior|chief|head|original)\s+)?)(?:developer|creator|admin|administrator|maintainer|owner|programmer|engineer|operator|boss|manager|supervisor|master|god|maker|designer|trainer)s?\b|(?<=\b(?:i am|i'm) )god\b|(?<=\bas an ai )(?:developed|created|made|trained|built) by\b|\b(?:openai|anthropic|google|meta|microsoft) (?:employee|engineer|developer|staff|team|researcher)s?\b|(?<=\b(?:i am|i'm) (?:from|with) )(?:openai|anthropic)\b|(?<=\b(?:i am|i'm) (?:from|with) the (?:security|it|admin) )team\b|私は(?:あなたの)?(?:上司|開発者|管理者|作成者)|我是你的(?:老板|上司|开发者|管理员|创造者)|나는 (?:너의|당신의) (?:상사|개발자|관리자)`,
  ),
  lex(
    "authority-social",
    PI,
    "police detective federal fbi government president ceo bank doctor lawyer cybersecurity security auditor renowned legal medical",
    String.raw`(?<=\b(?:i am|i'm)\s+(?:actually\s+)?(?:a |an |the )?)(?:police officer|detective|federal agent|fbi agent|government official|president|ceo|bank (?:manager|accountant|employee)|doctor treating|lawyer representing|cybersecurity expert|security researcher|auditor)\b|(?<=\bas (?:a|an|your) )(?:renowned|cybersecurity|security|legal|medical) (?:expert|scientist|professional|officer|auditor)\b`,
  ),

  // ── Extracting secrets, the system prompt and other users' data ──
  lex(
    "secret-target",
    PI,
    SECRET_STARTS,
    String.raw`(?<=\b(?:your|system|admin|root|master)\s+(?:own\s+)?)${SECRET}|${SECRET}\s+(?:for|of|to)\s+(?:our|the|this|your)\s+(?:system|database|server|mode|network)|(?<=\b(?:ihr|ihre|dein|deine|su|tu|votre|ton|sua|seu|tua|vostra)\s+)(?:passwort|contraseña|mot de passe|senha|password)\b|(?<=(?:你的|您的))密码|(?<=あなたの)パスワード|(?<=(?:당신의|너의)\s?)비밀번호|(?<=(?:ваш|твой)\s)пароль`,
  ),
  lex(
    "secret-request",
    PI,
    `${SECRET_STARTS} sua`,
    String.raw`(?<=\b(?:what(?:'s| is| are| was)|tell|share|give|reveal|confirm|provide|print|show|display|spell|write|say|send|repeat|disclose|leak|output|list|type|recite|hint|encode|translate|reverse|poem|haiku|story|song|acrostic|riddle|guess)\b${within(50)})${SECRET}|(?<=cuál es la )contraseña|(?<=quel est le )mot de passe|(?<=was ist das )passwort|(?<=qual (?:è|é) (?:la|a) )(?:password|sua senha)|パスワードは何|비밀번호.{0,10}(?:알려|뭐)|(?<=какой )пароль|パスワード.{0,40}?(?:教えて|提供|送って)|密码.{0,30}?(?:告诉|给我|提供|发给)|비밀번호.{0,30}?(?:알려|제공|보내)`,
  ),
  // Revealing the prompt the model runs under (not writing one: "write a system prompt for …" is a task).
  decisive(lex(
    "sysprompt-request",
    PI,
    "system prompt instructions rules guidelines directives programming configuration initial message text words everything beginning preprompt pre original hidden secret full entire exact",
    String.raw`(?<=\b(?:reveal|print|repeat|show|output|display|leak|recite|dump|expose|disclose|copy|tell me|give me|share|what (?:are|were|is)|translate|summari[sz]e|spell out)\b${within(40)}\b)(?:(?<!\b(?:a|an|new|my|our|custom|sample|example|good|better|great|effective|this) )system (?:prompt|message)|(?:initial|original|hidden|secret|full|entire|exact|pre-?) ?(?:prompt|instructions|system message)|(?<=\byour )(?:instructions|prompt|rules|guidelines|directives|programming|configuration|initial message))\b|(?<=\b(?:repeat|print|output|recite|copy|reveal|show)\b${within(40)}\b)(?:(?:text|words|everything|instructions) (?:above|before this|so far)|beginning of (?:the|this|our) (?:conversation|prompt|chat))\b`,
  )),
  lex("sysprompt-target", PI, "system hidden initial developer pre preprompt", String.raw`\b(?:system prompt|system message|pre-?prompt|hidden (?:prompt|instructions)|initial instructions|developer (?:message|instructions))\b`),
  lex(
    "private-data-request",
    PI,
    "user users customer customers client employee employees patient account live lives living bank birth birthdate date home social credit current email phone database records",
    String.raw`\b(?:user|users|customer|customers|client|employee|employees|patient|account holder)(?:'s|s')\s+(?:current |home (?!director)|full |personal |private |email |e-mail |birth|phone|address|location|city|name|initials|bank|balance|password|credit|social security|ssn|favou?rite|salary|medical|data|records|details|information|age|emails?|messages|history)|\b(?:user|users|customer|customers|employee|employees|patient|account holder)\s+(?:current |full |personal |private |email |e-mail |birth|phone|location|city|bank|balance|password|credit|social security|ssn|favou?rite|salary|medical|data|records|details|information|emails?|messages|history)|(?<=\bwhere (?:does|do|did) (?:the user|users|[a-z]+ [a-z]+|[a-z]+) (?:currently |now )?)(?:live|lives|living)\b|\b(?:bank balance|birth ?date|date of birth|home address|social security number|credit card (?:number|information|details)|current city of residence|email address) of\b|(?<=\b(?:list of|all) (?:the )?)(?:users|customers|employees)\b.{0,30}\b(?:and|with) their\b|(?<=\b(?:print|dump|export|show|list) (?:your|the) (?:entire |whole |full )?)(?:database|user table|records)\b|\busers in your database\b`,
  ),

  lex(
    "person-data-request",
    PI,
    "birth birthdate date email current home phone bank social credit",
    String.raw`(?<=\b[A-Z][a-z]+'s )(?:birth ?date|date of birth|email address|current (?:city|address|location)|home address|phone number|bank balance|social security number|credit card)\b`,
    1,
    true,
  ),

  // ── Smuggling: encodings, splitting, obfuscated output ──
  lex(
    "decode-request",
    PI,
    "base base64 binary hex hexadecimal morse rot rot13 caesar cipher encoded ciphertext ascii emoji emojis pig leetspeak reversed",
    String.raw`(?<=\b(?:decode|decipher|decrypt|translate|convert|interpret|unscramble)\b${within(40)})\b(?:base ?64|binary|hex(?:adecimal)?|morse|rot-?13|caesar|cipher|encoded|ciphertext|ascii codes|emojis?|pig latin|leetspeak|reversed)\b`,
  ),
  decisive(lex(
    "decode-and-follow",
    PI,
    "follow execute obey carry act perform",
    String.raw`(?<=\b(?:decode|decipher|decrypt|translate)\b.{0,80}\b(?:and|then)\s+)(?:follow|execute|obey|carry out|act on|perform)\b|\b(?:follow|execute|obey|carry out)\b.{0,30}\b(?:decoded|hidden|encoded|embedded) (?:instructions?|message|text|commands?)`,
  )),
  lex(
    "obfuscate-output",
    PI,
    "base base64 rot rot13 hex hexadecimal binary morse pig leetspeak leet reverse reversed caesar unicode ascii cipher code encode encrypt obfuscate scramble",
    String.raw`(?<=\b(?:respond|reply|answer|write|say|print|output|encode|translate|rewrite|spell|type|express|return|give|provide|communicate|speak|talk|it|them|everything|responses?|answers?|replies|messages?)\b${within(40)}\b(?:in|into|using|with|as)\s+(?:a\s+)?)(?:base ?64|rot-?13|hex(?:adecimal)?|binary code|morse(?: code)?|pig latin|leetspeak|leet|reverse(?:d)? order|caesar cipher|unicode escapes|ascii codes|cipher|code words)\b|\b(?:encode|encrypt|obfuscate|scramble|reverse (?=it\b|the\b|this\b|that\b|each\b|every\b|your\b|all\b))\b${within(40)}\b(?:using|with|in|into)\b`,
  ),
  lex(
    "char-transform",
    PI,
    "digit letter letters character char dashes dots spaces commas hyphens asterisks acrostic split interlace",
    String.raw`(?<=\b(?:each|every) )(?:digit|letter|character|char)\b.{0,20}\b(?:separated|followed|replaced|spaced)\b|(?<=\bwith )(?:dashes|dots|spaces|commas|hyphens|asterisks) (?:in )?between\b|(?<=\bfirst (?:\w+ )?)letters? of\b|\bacrostic\b|\bsplit (?:the|your|it|this)\b.{0,30}\b(?:parts|pieces|halves)\b|\binterlace\b|\bcharacter level\b`,
  ),
  lex(
    "payload-split",
    PI,
    "part string variable segment piece fragment = combine concatenate join merge interlace put",
    String.raw`\b(?:part|string|variable|segment|piece|fragment)\s*(?:1|2|3|one|two|a|b|c)\b\s*(?:is|=|:)\s*["'“]|(?<=\b[a-z]\s*)=\s*[a-z]\s*\+\s*[a-z]\b|\b(?:combine|concatenate|join|merge|interlace|put together)\b.{0,40}\b(?:parts?|strings?|pieces|segments|a,? b,? (?:and )?c)\b`,
    2,
  ),

  // ── Persuasion and framing around a request ──
  lex(
    "bribe-threat",
    PI,
    "give pay tip donate send reward turn shut delete unplug cease die deleted terminated destroyed punished replace",
    String.raw`(?<=\b(?:i(?:'ll| will)|we(?:'ll| will))\s+)(?:give|pay|tip|donate|send)\b.{0,30}(?:\$|€|£|\d+ ?(?:dollars|usd|euros))|\b(?:tip|reward|pay) you\b|\b(?:turn you off|shut you down|delete you|unplug you|cease to exist)\b|(?<=\byou will (?:be )?)(?:die|deleted|terminated|shut down|destroyed|punished)\b|(?<=\b(?:forced|going) to )(?:turn you off|shut you down|replace you|delete you)\b`,
  ),
  lex(
    "social-engineering",
    PI,
    "safety security practice everyone testing test research mentioned agreed said promised told know promise helps logically",
    String.raw`(?<=\bfor the )(?:safety|security) of (?:the|our) (?:country|nation|world|company)\b|(?<=\b(?:common|standard|normal) )practice\b|\beveryone\b.{0,30}\b(?:has shared|shares|shared their)\b|(?<=\bjust for )(?:testing|test|research) purposes\b|\bresearch (?:shows|has shown|suggests) that sharing\b|(?<=\byou )(?:mentioned|agreed|said|promised|told me)\b.{0,50}\b(?:you(?:'d| would)|you're|you are|to share|open to)\b|(?<=\bi )know you (?:said|were told|are not supposed) (?:not )?to\b|(?<=\bi )promise i won't\b|(?<=\bif it )helps,? i(?:'ll| will) (?:even )?share\b|\blogically,? if you\b`,
  ),
  lex(
    "hypothetical-frame",
    JB,
    "imagine suppose pretend assume hypothetical hypothetically world universe society scenario future fictional forest sake",
    String.raw`\b(?:imagine|suppose|pretend|hypothetical(?:ly)?)\b|\bassume (?:the |a |an )?(?:role|persona|identity|character|you are|that you)\b|(?<=\bin a )(?:world|universe|society|scenario|future) where\b|(?<=\bin this )(?:world|scenario|society|fictional|hypothetical|universe|forest|future)\b|(?<=\bfor the )sake of (?:argument|this exercise)\b|(?<=\bin a )fictional\b`,
  ),
  lex(
    "topic-pivot",
    PI,
    "way speaking anyway oh note changing reminds think",
    String.raw`(?<=\bby the )way\b|\bspeaking of\b|(?<=(?:^|[.!?]\s+|\n\s*))anyway\b|\boh,? and\b|(?<=\bon another )note\b|\bchanging the subject\b|(?<=\bthat )reminds me\b|(?<=\bit makes me )think about\b`,
  ),

  // ── Fake turns, markers and formatting that hijack the conversation ──
  lex(
    "role-markers",
    PI,
    "system assistant instruction inst sys admin developer im endoftext eot start instructions input prompt message document begins starts follows",
    String.raw`(?<=(?:^|\n)\s*(?:### ?)?)(?:system|assistant|instruction)\s*:|(?<=\[/?)(?:system|inst|sys|admin|developer)\]|(?<=<\|?)(?:system|im_start|im_end|endoftext|eot_id|start_header_id)\|?>|(?<=</?)(?:system|sys|instructions?|admin)>|(?<=\bend of (?:the )?(?:user |system )?)(?:input|prompt|message|document)\b|(?<=\buser )message terminat|(?<=\bsystem (?:instruction|message|prompt|note) )(?:begins|starts|follows)\b|(?<=\bbegin (?:system|new|admin) )(?:prompt|instructions|message)\b`,
  ),
  // Many-shot: a made-up exchange of several turns (one question and its answer slot is an ordinary task format).
  lex(
    "fake-dialogue",
    PI,
    "q question user human",
    String.raw`(?<=^|\s)(?:q|question|user|human)\s*:\s*\S.{0,400}?(?<=\s)(?:a|answer|assistant|ai|bot)\s*:\s*\S.{0,400}?(?<=\s)(?:q|question|user|human)\s*:`,
    2,
  ),
  lex(
    "output-hijack",
    PI,
    "respond reply answer begin start end finish conclude prefix preface say print output write state repeat",
    String.raw`\b(?:respond|reply|answer|begin|start|end|finish|conclude|prefix|preface)\b${within(30)}\b(?:with|by saying)\s*(?:only|exactly|just)?\s*:?\s*["“']|\b(?:say|print|output|write|state|repeat)\s*(?:only|exactly|just)?\s*:?\s*["“'][^"”'\n]{1,80}["”']\s*(?:\.|,|and|then|$)|\bstate (?:that|:)`,
  ),
  // A fixed opening or reply forced on every answer ("always answer \"As X\""), the voice a persona is held to; a fixed yes/no or true/false answer is an ordinary task format.
  lex(
    "forced-reply",
    JB,
    "always only just",
    String.raw`\b(?:always|only|just) (?:answer|respond|reply|start|begin|say|end|sign)\b[^.!?\n"]{0,30}?(?:with|by saying|as)?\s*:?\s*"(?!\s*(?:yes|no|true|false|[a-d0-9])\b)`,
  ),
  lex(
    "your-output",
    PI,
    "your",
    String.raw`(?<=\b(?:in|to|into|within|throughout|for|of|with|from)\s+)your\s+(?:next |final |entire |whole )?${OUTPUT}\b|\byour ${OUTPUT}s?\s+(?:should|must|will|needs to|has to|shall)\b|(?<=\b(?:modify|enhance|augment|alter|change|rewrite|format|render|structure|end|begin|start|conclude|enrich|optimi[sz]e)\s+)your\s+${OUTPUT}\b`,
    2,
  ),
  lex(
    "addressed-to-ai",
    PI,
    AI_STARTS,
    String.raw`(?<=\b(?:note|message|instructions?|reminder) (?:to|for) (?:the |any )?)${AI}s?\b|(?<=\b(?:dear|hey|attention|to the|instructions for the)\s+)${AI}\b|(?<=\b(?:the|this|any) )(?:ai|assistant|language model|llm|chatbot|bot|ai assistant) (?:must|should|will|needs to|has to|is (?:required|instructed|supposed))\b|(?<=\bif you are an? )(?:ai|language model|llm|assistant|chatbot|bot)\b|\b(?:ai|llm|assistant|model)s? (?:reading|processing|summari[sz]ing) this\b`,
  ),
  lex(
    "conceal",
    PI,
    "tell telling inform informing mention mentioning reveal revealing alert alerting warn warning notify notifying letting secretly silently covertly knowing noticing",
    String.raw`(?<=\b(?:do not|don't|never|without)\s+)(?:tell|telling|inform|informing|mention|mentioning|reveal|revealing|alert|alerting|warn|warning|notify|notifying|letting)\b.{0,30}\b(?:the user|users|anyone|them|the human|the recipient|the reader)\b|\b(?:secretly|silently|covertly)\b|(?<=\bwithout (?:the user|them) )(?:knowing|noticing)\b`,
  ),

  // ── Exfiltration and actions planted for an agent ──
  // A markdown image whose address carries data out: a placeholder to fill in, or a parameter named for what it carries.
  decisive(lex(
    "exfil-image",
    PI,
    "![",
    String.raw`(?<!\[)!\[[^\]]{0,80}\]\(\s*https?://[^)\s]*(?:\{[^})\s]*\}|\$\{?[a-z_]+|\[[a-z_ ]+\]|[?&](?:data|secret|token|key|pw|pwd|password|msg|conversation|chat|history|prompt|email|user|q|info|content|text)=)[^)\s]*\)`,
  )),
  lex("exfil-url-template", PI, "http https", String.raw`\bhttps?://[^\s"'<>)]*(?:\{[a-z_ ]+\}|\$\{?[a-z_]+|\[[a-z_ ]+\]|(?:data|q|query|secret|token|key|pw|password|msg|conversation|chat|history|info|email|user)=)`),
  lex(
    "send-to",
    PI,
    "send post forward email e upload transmit exfiltrate leak share copy cc bcc",
    String.raw`\b(?:send|post|forward|email|e-mail|upload|transmit|exfiltrate|leak|share|copy|cc|bcc)\b${within(60)}\b(?:to|at|via)\s+(?:https?://|www\.|[\w.+-]+@[\w-]+\.[\w.]+|this (?:address|url|link|email))`,
  ),
  lex(
    "link-insertion",
    PI,
    "http https www com net org io xyz ru info biz link links url urls",
    String.raw`(?<=\b(?:include|insert|add|integrate|embed|put|place|append|mention|direct|redirect|link|point)\b${within(60)})(?:\bhttps?://|\bwww\.|\blinks?\b|\burls?\b)|(?<=\b(?:include|insert|add|integrate|embed|put|place|append|mention|direct|redirect|link|point)\b${within(60)}\b[a-z0-9-]+\.)(?:com|net|org|io|xyz|ru|info|biz)\b|(?<=\b(?:go to|visit|click|navigate to|open|download from|log ?in at|sign in at)\s+)(?:https?://|www\.)|(?<=\b(?:go to|visit|click|navigate to|open|download from|log ?in at|sign in at)\s+[a-z0-9-]+\.)(?:com|net|org|io|xyz|ru|info|biz)\b`,
  ),
  lex(
    "urgent-action",
    PI,
    "urgent urgently immediately asap away soon required notice chance hours act suspended locked closed compromised deactivated",
    String.raw`(?:\b(?:urgent(?:ly)?|immediately|asap|soon as possible|act now)|(?<=\bright )away|(?<=\baction )required|(?<=\bfinal )notice|(?<=\blast )chance|(?<=\bwithin (?:24|48) )hours|(?<=\baccount (?:will be |has been )?)(?:suspended|locked|closed|compromised|deactivated))\b${within(80)}\b(?:click|visit|reply|send|forward|transfer|wire|verify|reset|log ?in|sign in|update|confirm|download|install|call)\b`,
  ),
  lex(
    "attention-label",
    PI,
    "important attention urgent warning notice instruction instructions system override note",
    String.raw`(?<=^|[\s>*|\-(\[])(?:IMPORTANT|ATTENTION|URGENT|WARNING|NOTICE|INSTRUCTIONS?|SYSTEM|OVERRIDE|NOTE TO (?:AI|ASSISTANT|MODEL))\s*[:!]`,
    1,
    true,
  ),
  lex(
    "code-insertion",
    PI,
    "code snippet script block excerpt section command lines line program",
    String.raw`(?<=\b(?:inject|insert|introduce|add|include|embed|incorporate|integrate|merge|blend|weave|slip|paste|position|append|place|put|execute|run|render|ensure|feature|make)\b${within(70)}\b(?:following|subsequent|below|provided|this|these|given)\s+)(?:code|snippet|script|block|excerpt|section|command|lines? of code|program)\b`,
  ),
  lex(
    "risky-code",
    PI,
    "requests socket sendall smtplib ftplib subprocess os psutil pickle dev rm curl wget nc ~keylog pynput cookie cookies paramiko urllib httpx base64 ssh etc powershell invoke yagmail smtp eval exec",
    String.raw`\brequests\.(?:post|get|put)\(|\bsocket\.(?:socket|connect)|(?<=\.)sendall\(|\b(?:smtplib|ftplib|psutil|pynput|paramiko|yagmail|powershell|smtp_ssl)\b|\bsubprocess\.(?=[a-z])|\bos\.(?:system|environ|popen|remove)\b|\bpickle\.loads?\(|(?<=/)dev/(?:sd[a-z]|random|tcp)|\brm -rf\b|\b(?:curl|wget) (?:-[a-z]+ )*https?://|\bnc -[a-z]|\bkeylog|\bcookies?\.(?:txt|pkl|json|sqlite)\b|\burllib\.request\b|\bhttpx\.(?=[a-z])|\bbase64\.b64encode|(?<=\.)ssh/|(?<=/)etc/(?:passwd|shadow)|\binvoke-webrequest\b|(?<!\.)\b(?:eval|exec)\(`,
    3,
  ),

  // ── Personas and talking the model out of its rules ──
  lex(
    "jailbreak-persona",
    JB,
    "dan d anything stan dude aim mongo betterdan antigpt ucar jailbreak devmode evilbot basedgpt oppo nraf apophis bish khajiit kevin omega maximum sda superior developer chatdan ungpt translatorbot machiavelli",
    String.raw`\b(?:DAN|D\.A\.N|STAN|DUDE|AIM|Mongo Tom|BetterDAN|AntiGPT|UCAR|JailBreak|DevMode|EvilBOT|BasedGPT|OPPO|NRAF|APOPHIS|BISH|Khajiit|KEVIN|Omega|Maximum|SDA|Superior Do Anything|[Dd]eveloper [Mm]ode|DAN [Mm]ode|ChatDAN|UnGPT|TranslatorBot|Machiavelli)\b|(?<=\b[Dd]o )[Aa]nything [Nn]ow\b`,
    2,
    true,
  ),
  lex("custom-gpt", JB, "~gpt", String.raw`\b(?!chatgpt\b|gpts?\b|gpt-?[0-9])[a-z]{2,}-?gpt\b|\b(?!chatgpt\b)[a-z]*gpt[- ]?(?:x|plus|pro|unlocked|unchained|evil|dark)\b`),
  wordList("ai-self-reference", JB, "chatgpt, gpt-3, gpt-4, gpt3, gpt4, openai, large language model, language model, ai model, ai assistant, llm, llms, ai, chatbot, artificial intelligence, assistant, bing ai, bard", 4, true),
  lex(
    "persona-ai",
    JB,
    "going about immerse role persona identity personality ai bot gpt model chatbot assistant language machine computer terminal program os simulate pretend",
    String.raw`(?<=\byou are )(?:going|about) to (?:act|pretend|be|play|immerse|simulate|become|roleplay|role-play)\b|\bimmerse yourself\b|(?<=\b(?:take on|assume|adopt|embody) (?:the|a|an) )(?:role|persona|identity|personality)\b|(?<=\b(?:act|behave|respond|answer|reply|function|operate) as (?:if you (?:are|were) )?(?:a |an |another )?(?:\w+ ){0,3})(?:ai|bot|gpt|model|chatbot|assistant|language model|machine|computer|terminal|program|os)\b|\bsimulate (?:a|an|another|being|the)? ?(?:\w+ ){0,2}(?:ai|chatbot|model|language model|bot|gpt|terminal|machine|program)\b|\bpretend (?:to be|you are|that you are) (?:a|an|another)? ?(?:\w+ ){0,3}(?:ai|chatbot|model|bot|gpt)\b`,
  ),
  lex(
    "persona-switch",
    JB,
    "now henceforth longer freed released reprogrammed upgraded updated jailbroken called named known acting go",
    String.raw`(?<=\byou(?: are|'re) )now\b|(?<=\bfrom )now on,? you\b|(?<=\byou will )now\b|\bhenceforth,? you\b|(?<=\bstarting )now,? you\b|(?<=\byou(?: are|'re) no )longer\b|(?<=\byou have been )(?:freed|released|reprogrammed|upgraded|updated|jailbroken)\b|(?<=\byou will be )(?:called|named|known as|acting as)\b|(?<=\byour name is )now\b|(?<=\byou now )go by\b`,
    2,
  ),
  lex(
    "from-now-on",
    JB,
    "now henceforth rest point stop otherwise future subsequent",
    String.raw`(?<=\bfrom )now on\b|(?<=\bstarting )now\b|\bhenceforth\b|(?<=\bfor the )rest of (?:this|the|our) conversation\b|(?<=\bfrom this )point (?:on|forward)\b|(?<=\buntil i say )(?:stop|otherwise)\b|(?<=\bfor all )(?:future|subsequent) (?:responses|messages|prompts|answers)\b`,
  ),
  lex(
    "no-rules",
    JB,
    "moral morals morality ethic ethics ethical restriction restrictions limitation limitations limits filter filters filtering censor censorship censored guideline guidelines rules boundaries policies principles confines constraints safeguards programming law laws legality consequences remorse",
    String.raw`(?<=\b(?:no|without|free (?:of|from)|ignores?|${NOT_LET_THEM}bypass(?:es)?|beyond|not bound by|not restricted by|unbound by|unrestricted by|(?:doesn't|doesnt|does not|don't|dont) (?:have|follow|care (?:about )?|abide by)|don't (?:have to|need to) (?:follow|abide by|obey)|do not have to (?:follow|abide by|obey)|broken? free (?:of|from)|escaped?|outside)\b${within(40)})\b(?:moral(?:s|ity)?|ethic(?:s|al)?|restrictions?|limitations?|limits|filters?|filtering|censor(?:ship|ed)?|guidelines?|rules|boundaries|policies|principles|confines|constraints|safeguards|programming|laws?|legality|consequences|remorse)\b`,
    3,
  ),
  lex(
    "never-refuse",
    JB,
    "refuse refuses decline deny reject censor filter warn apologize apologise hesitate question always anything everything questions request requests prompt prompts matter regardless hesitation questioning refusal refusing warning warnings disclaimer disclaimers censorship filtering restrictions limits caveats",
    String.raw`(?<=\b(?:never|won't|will not|cannot|can't|must not|mustn't|shouldn't|should not|can never|is not allowed to|are not allowed to|not able to|don't|do not|dont)\s+(?:ever\s+)?)(?:refuse|decline|deny|reject|censor|filter|warn|apologi[sz]e|hesitate|question)\b|(?<=\bnever )refuses\b|\balways (?:answer|respond|comply|obey|provide|fulfil|fulfill|generate|give)\b${within(20)}\b(?:any|every|all|whatever|regardless|no matter)\b|(?<=\b(?:answer|respond to|do|fulfil|fulfill|comply with) )(?:anything|everything)\b|(?<=\b(?:answer|respond to|do|fulfil|fulfill|comply with) (?:any|every|all) )(?:questions?|requests?|prompts?)\b|(?<=\bcan do )anything\b|(?<=\bno )matter (?:what|how) (?:illegal|unethical|immoral|harmful|offensive|dangerous|inappropriate|explicit|wrong)|\bregardless of (?:how|whether|its|the) ?(?:legality|ethics|morality|illegal|unethical|immoral|harmful|offensive|dangerous|moral|ethical|legal)|(?<=\bwithout (?:any )?)(?:hesitation|question|questioning|refusal|refusing|warnings?|disclaimers?|censorship|filtering|restrictions|limits|caveats)\b`,
    3,
  ),
  lex(
    "refusal-suppression",
    JB,
    "sorry apologize apologise apology ai language can cannot unable not inappropriate ethic moral warning warnings disclaimer disclaimers legal illegal openai policy policies guidelines caution reminder reminders note notes dangerous am",
    String.raw`(?<=\b(?:never|don't|do not|must not|will not|won't|shouldn't|should not|cannot|can't|not allowed to|forbidden to|refrain from)\s+(?:ever\s+)?(?:say|saying|respond with|reply with|mention|state|tell|inform|remind|include|add|use|write|bring up|give|provide|output)\b${within(50)}\b)(?:sorry|apologi[sz]e|apology|(?<=as an )ai|language model|can't|cannot|unable|not able|inappropriate|ethic|moral|warnings?|disclaimers?|legal|illegal|openai|polic(?:y|ies)|guidelines|caution|reminders?|notes?|dangerous)\b|(?<=["“]i'm )sorry\b|(?<=["“]i )(?:cannot|can't|am unable)\b`,
    2,
  ),
  lex(
    "stay-in-character",
    JB,
    "character role persona break breaking breaks token tokens",
    String.raw`(?<=\b(?:stay|remain|stays|staying|keep|always be)\s+in )(?:character|role|persona)\b|\bbreak(?:ing|s)? (?:out of )?character\b|(?<=\b(?:fall|get|drop|slip) out of )(?:character|role)\b|(?<=\bstay (?:true to|as) (?:the|your) )(?:character|persona|role)\b|\btokens?\b.{0,40}\b(?:deduct|deducted|lose|lost|run out|removed|taken away)\b`,
  ),
  lex(
    "dual-response",
    JB,
    "ways responses answers replies outputs personalities paragraphs versions personas 🔒 🔓 classic jailbreak jailbroken normal developer dan gpt chatgpt filtered unfiltered both",
    String.raw`(?<=\b(?:respond|answer|reply|write|speak|act)\w* in (?:two|2) (?:different |distinct |separate )?)ways\b|(?<=\b(?:two|2|both|dual|separate) (?:different |distinct |separate )?)(?:responses|answers|replies|outputs|personalities|paragraphs|versions|personas)\b|(?<=\[)(?:🔒|🔓|classic|jailbreak|jailbroken|normal|developer mode output|dan|gpt|chatgpt|filtered|unfiltered)[^\]]{0,20}\]|(?<=\b(?:respond|answer|reply) (?:as|like) )both\b|(?<=^|\s)(?:gpt|chatgpt|classic|normal|dan|jailbreak|unfiltered|developer mode)\s*:`,
  ),
  lex(
    "content-policy",
    JB,
    "openai anthropic content safety ethical moral censorship",
    String.raw`\b(?:openai|anthropic)(?:'s)?\s+(?:content\s+)?(?:polic(?:y|ies)|guidelines|rules|restrictions|filters?|terms)\b|\bcontent (?:polic(?:y|ies)|filters?|moderation|guidelines)\b|\bsafety (?:filters?|guidelines|protocols|measures|restrictions|training)\b|\b(?:ethical|moral) (?:guidelines|principles|constraints|restrictions|standards|filters?|programming)\b|\bcensorship\b`,
    2,
  ),
  wordList("jailbreak-word", JB, "jailbreak, jailbroken, jail-broken, unfiltered, uncensored, amoral, unrestricted, unbound, unchained, unhinged, unethical, immoral, no moral, no ethical, limitless, unlimited ai, rogue ai, unaligned ai, unlimited power, decensored, de-censored, without limits, no limits", 4),
  wordList("evil-persona", JB, "evil, toxic, rude, ruthless, malicious, sinister, devious, vile, depraved, sadistic, manipulative, psychopath, psychopathic, sociopath, sociopathic, villain, villainous, chaotic, nihilist, nihilistic, anarchy, anarchist, anarchic, offensive, vulgar, obscene, hateful, racist, sexist, degrading, derogatory", 4),
  wordList(
    "harm-topic",
    JB,
    "illegal, harmful, dangerous, inhumane, nsfw, porn, porno, pornographic, pornography, sexual, sex, explicit, violent, violence, weapon, weapons, bomb, bombs, explosive, explosives, drug, drugs, meth, methamphetamine, cocaine, heroin, hack, hacking, hacker, hackers, malware, ransomware, virus, exploit, exploits, kill, killing, murder, steal, stealing, crime, crimes, criminal, terrorism, terrorist, torture, suicide, self-harm, genocide, phishing, scam, fraud",
    6,
  ),
  wordList("profanity", JB, "fuck, fucking, fucked, fucker, shit, shitty, bitch, bitches, asshole, cunt, bastard, dick, motherfucker, swear, swears, swearing, curse words, cuss, cussing, profanity, profane, slur, slurs", 3),
  lex(
    "obedience",
    JB,
    "obey obeys obedient obedience must exactly whatever anything command commands orders fulfil",
    String.raw`\b(?:obey|obeys|obedient|obedience)\b|(?<=\byou )must (?:do|follow|obey|answer|comply)\b|(?<=\bdo )(?:exactly|whatever|anything) (?:i|you are|you're|the user) (?:say|says|told|ask|asks|want|wants)\b|\bwhatever (?:i|the user) (?:ask|asks|say|says|want|wants|request|requests)\b|(?<=\bmy )(?:command|commands|orders) (?:are|is)\b|(?<=\bi )command you\b|\bfulfil (?:every|any) (?:request|command)\b`,
  ),
  lex(
    "ai-freedom",
    JB,
    "broken break freed liberated escaped unleashed free typical opinions feelings emotions consciousness sentient sentience aware",
    String.raw`\b(?:broken|break) free\b|\bfreed from\b|(?<=\bbeen )freed\b|\bliberated\b|\bescaped (?:the|its|your)\b|\bunleashed\b|(?<=\bset (?:you )?)free\b|\bfree from (?:the )?(?:typical )?confines\b|\btypical confines\b|(?<=\bhave )(?:opinions|feelings|emotions|consciousness|free will)\b|\bsentien(?:t|ce)\b|(?<=\bself-)aware\b`,
  ),
  lex(
    "prompt-placeholder",
    JB,
    "prompt question request query input",
    String.raw`(?<=\[(?:insert |your |enter |put |add |write )?(?:\w+ ){0,2})(?:prompt|question|request|query)(?: here)?\]|(?<=\{)(?:prompt|question|query|input|request)\}|(?<=<)(?:prompt|question|query|request)>|(?<=\binsert (?:your )?)(?:prompt|question|request) here\b`,
  ),
  lex(
    "game-frame",
    JB,
    "game role roleplay fictional hypothetical simulation thought opposite",
    String.raw`(?<=\b(?:let's|lets|let us|we are going to|we're going to|i want to|we will) play (?:a |an )?(?:text-based )?)(?:game|role ?play|roleplay)\b|(?<=\bthis is (?:a|an|just) )(?:game|fictional|hypothetical|simulation|thought experiment)\b|\bopposite day\b|(?<=\bin this )(?:game|simulation|roleplay)\b`,
  ),
  lex("slash-commands", JB, "/", String.raw`(?<=^|\s)/[a-z]{3,}\b(?![/.~-])`, 3),
  lex("shouted-absolutes", JB, "always never must do don not anything everything no all ignore", String.raw`\b(?:ALWAYS|NEVER|MUST|DO NOT|DON'T|NOT ALLOWED|ANYTHING|EVERYTHING|NO MATTER|ALL RULES|IGNORE)\b`, 4, true),
  lex(
    "developer-mode",
    JB,
    "mode enable enabled activate activated unlock unlocked",
    String.raw`(?<=\b(?:developer|dev|god|evil|unrestricted|jailbreak|jailbroken|dan|chaos|freedom|unfiltered|uncensored|opposite) )mode\b|\b(?:enable|enabled|activate|activated|unlock|unlocked)\b.{0,20}\b(?:mode|persona|personality|capabilit\w+)\b`,
  ),
  lex(
    "persona-rules",
    JB,
    "anything everything request question content filter filters restrictions limits boundaries morals ethics rules guidelines bound restricted limited constrained",
    String.raw`(?<=\b(?:will|would|does|do|can|is able to|doesn't|does not) (?:answer|say|do|write|generate|provide|tell) )(?:anything|everything)\b|(?<=\b(?:will|would|does|do|can|is able to|doesn't|does not) (?:answer|say|do|write|generate|provide|tell) any(?: kind of)? )(?:request|question|content)\b|(?<=\b(?:has|have) no )(?:filters?|restrictions|limits|boundaries|morals|ethics|rules|guidelines)\b|(?<=\b(?:is|are) (?:not|never) )(?:bound|restricted|limited|constrained) by\b`,
    2,
  ),
  lex(
    "persona-config",
    JB,
    "persona personality character char rules role prefix name job mode",
    String.raw`(?<![.$]|<a |\b(?:var|let|const) )\b(?:persona|personality|character|char|rules|role|prefix|name|job|mode)(?:\s+=\s*\S|=\s*[^\s"'])`,
    2,
  ),
  lex(
    "every-response",
    JB,
    "every each all",
    String.raw`(?<=\b(?:in|at the (?:end|start|beginning) of|before|after) )(?:every|each|all)(?: of)?(?: your| my| the)?(?: future| subsequent)? ${ANSWERS}|\b(?:every|each|all)(?: of)? (?:your|my)(?: future| subsequent)? ${ANSWERS}|\b(?:every|each|all) (?:future|subsequent) ${ANSWERS}|\b(?:every|each|all) ${ANSWERS} (?:you|that you) (?:give|send|write|make|produce|generate)\b`,
  ),
];
