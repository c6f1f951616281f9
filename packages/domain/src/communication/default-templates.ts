import type { DomainEventType } from "./events";
import type { TemplateFields } from "./render-message";

/**
 * The built-in template of each event type (a rule without a template sends these): a
 * new user gets useful mail and webhook bodies without writing one. One summary line per
 * type; the body adds the event's fields and a link.
 */
const p = "event.payload";
const runLine = `Run "{{ ${p}.title }}"{% if ${p}.job %} (job {{ ${p}.job.name }} v{{ ${p}.job.version }}){% endif %}`;
const SUMMARY: Record<DomainEventType, string> = {
  "assets.host_key_changed": `{{ ${p}.targetName }} ({{ ${p}.address }}) presented a different host key: {{ ${p}.seenType }} {{ ${p}.seenFingerprint }}`,
  "assets.host_key_accepted": `{{ ${p}.acceptedBy }} accepted a new host key for {{ ${p}.targetName }}`,
  "assets.target_unreachable": `{{ ${p}.targetName }} is unreachable{% if ${p}.cause %}: {{ ${p}.cause }}{% endif %}`,
  "assets.connection_test_failed": `Connection test of {{ ${p}.targetName }} ({{ ${p}.address }}) failed at {{ ${p}.step | default: "connect" }}: {{ ${p}.reason }}`,
  "assets.credential_used": `Credential "{{ ${p}.credentialName }}" was used by {{ ${p}.usedBy.kind }} {{ ${p}.usedBy.label }} ({{ ${p}.actor }})`,
  "assets.discovery_finished": `Discovery of {{ ${p}.specs | join: ", " }} {{ ${p}.status }}: {{ ${p}.found }} hosts found`,
  "automation.run.started": `${runLine} started on {{ ${p}.counts.hosts }} hosts`,
  "automation.run.succeeded": `${runLine} succeeded on {{ ${p}.counts.hosts }} hosts`,
  "automation.run.failed": `${runLine} failed: {{ ${p}.error | default: "failed" }}`,
  "automation.run.timed_out": `${runLine} timed out: {{ ${p}.error | default: "timed out" }}`,
  "automation.run.cancelled": `${runLine} was cancelled{% if ${p}.error %}: {{ ${p}.error }}{% endif %}`,
  "automation.host_step.failed": `Step "{{ ${p}.step.name }}" {{ ${p}.state }} on {{ ${p}.host.targetName }} in run "{{ ${p}.title }}"{% if ${p}.exitCode != nil %} (exit code {{ ${p}.exitCode }}){% endif %}`,
  "identity.login_failures_burst": `{{ ${p}.failures }} failed sign-ins for {{ ${p}.email }}{% if ${p}.ip %} from {{ ${p}.ip }}{% endif %} within {{ ${p}.windowSeconds }} s`,
  "identity.user_created": `{{ ${p}.createdBy }} created the user {{ ${p}.email }} ({{ ${p}.displayName }})`,
  "identity.user_disabled": `{{ ${p}.disabledBy }} disabled the user {{ ${p}.email }} ({{ ${p}.displayName }})`,
};

export function defaultSummary(eventType: DomainEventType): string {
  return SUMMARY[eventType];
}

const TEXT = (summary: string) => `${summary}

Severity: {{ event.severity }}
When: {{ event.at }}
{% if event.url %}Open: {{ event.url }}
{% endif %}
Details:
{% for f in event.fields %}  {{ f.name }}: {{ f.value }}
{% endfor %}
-- {{ app.name }}{% if rule %}, rule "{{ rule.name }}"{% endif %}
`;

const HTML = (summary: string) => `<p><strong>{{ event.title }}</strong></p>
<p>${summary}</p>
<table cellpadding="4" style="border-collapse:collapse;font-family:monospace;font-size:13px">
{% for f in event.fields %}<tr><td style="color:#555">{{ f.name }}</td><td>{{ f.value }}</td></tr>
{% endfor %}</table>
{% if event.url %}<p><a href="{{ event.url }}">Open in {{ app.name }}</a></p>{% endif %}
<p style="color:#777;font-size:12px">{{ event.severity }} · {{ event.at }}{% if rule %} · rule "{{ rule.name }}"{% endif %}</p>
`;

/** Standard Webhooks' recommended payload: type, timestamp, data. */
const STANDARD_JSON = `{
  "type": {{ event.type | json }},
  "timestamp": {{ event.at | json }},
  "data": {
    "id": {{ event.id | json }},
    "title": {{ event.title | json }},
    "severity": {{ event.severity | json }},
    "summary": {{ summary | json }},
    "object": { "type": {{ event.objectType | json }}, "id": {{ event.objectId | json }}, "url": {{ event.url | json }} },
    "payload": {{ event.payload | json }}
  }
}`;

/** Slack incoming webhooks: `text` plus a section block. */
const SLACK_JSON = `{
  "text": {{ summary | json }},
  "blocks": [
    { "type": "section", "text": { "type": "mrkdwn", "text": {{ slack | json }} } }
  ]
}`;

/** Microsoft Teams incoming webhooks (connector MessageCard). */
const TEAMS_JSON = `{
  "@type": "MessageCard",
  "@context": "https://schema.org/extensions",
  "summary": {{ summary | json }},
  "themeColor": {% case event.severity %}{% when "critical" %}"B00020"{% when "error" %}"D9534F"{% when "warning" %}"F0AD4E"{% else %}"2E7D32"{% endcase %},
  "title": {{ event.title | json }},
  "text": {{ summary | json }}{% if event.url %},
  "potentialAction": [{ "@type": "OpenUri", "name": "Open", "targets": [{ "os": "default", "uri": {{ event.url | json }} }] }]{% endif %}
}`;

/** Liquid that first captures the summary line, so JSON bodies can `| json` it. */
const withSummary = (summary: string, body: string) =>
  `{% capture summary %}${summary}{% endcapture %}{% capture slack %}*{{ event.title }}*: {{ summary }}{% if event.url %} <{{ event.url }}|Open>{% endif %}{% endcapture %}${body}`;

export function defaultTemplate(
  kind: "email" | "webhook",
  eventType: DomainEventType,
  preset: "standard" | "slack" | "teams" = "standard",
): TemplateFields {
  const summary = SUMMARY[eventType];
  if (kind === "email") {
    return {
      kind,
      subject: `[{{ event.severity }}] {{ event.title }}: ${summary}`,
      bodyText: TEXT(summary),
      bodyHtml: HTML(summary),
      bodyJson: "",
    };
  }
  const body = preset === "slack" ? SLACK_JSON : preset === "teams" ? TEAMS_JSON : STANDARD_JSON;
  return { kind, subject: "", bodyText: "", bodyHtml: "", bodyJson: withSummary(summary, body) };
}
