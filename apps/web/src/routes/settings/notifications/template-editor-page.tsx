import { useSuspenseQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { allows } from "../../../app/access";
import { trpc } from "../../../app/trpc";
import { useMe } from "../../../app/use-me";
import { SettingsTabs } from "../settings-tabs";
import { TemplateEditor } from "./template-editor";

const editRoute = getRouteApi("/app/settings/notifications/templates/$templateId");

export function NewTemplatePage() {
  const me = useMe();
  return (
    <div>
      <SettingsTabs section="notifications" />
      <h2 className="h5 mb-3">
        <Link to="/settings/notifications/templates">Templates</Link> / New template
      </h2>
      <TemplateEditor canManage={allows(me, "notifications.manage")} />
    </div>
  );
}

export function EditTemplatePage() {
  const me = useMe();
  const { templateId } = editRoute.useParams();
  const template = useSuspenseQuery(trpc.communication.templates.get.queryOptions({ id: templateId })).data;
  return (
    <div>
      <SettingsTabs section="notifications" />
      <h2 className="h5 mb-3">
        <Link to="/settings/notifications/templates">Templates</Link> / {template.name}
      </h2>
      <TemplateEditor key={template.id} template={template} canManage={allows(me, "notifications.manage")} />
    </div>
  );
}
