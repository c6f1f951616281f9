import { useQuery, useQueryClient } from "@tanstack/react-query";
import { trpc, trpcClient } from "../../app/trpc";
import { NetworkAllowListEditor } from "../../components/network-allow-list-editor";
import { Loading } from "../../components/states";
import { SettingsTabs } from "./settings-tabs";

/**
 * The platform-wide allow-list of the outbound address rules: HTTP request steps and
 * webhooks refuse loopback, private, link-local and metadata addresses unless listed here.
 */
export function OutboundNetworksPage() {
  const queryClient = useQueryClient();
  const networks = useQuery(trpc.communication.outboundNetworks.list.queryOptions());
  if (networks.isPending) return <Loading />;
  return (
    <div>
      <SettingsTabs section="outbound-networks" />
      <div className="card">
        <div className="card-body">
          <p className="small">
            HTTP request steps (and webhooks) refuse loopback, private, link-local, carrier-grade NAT and cloud metadata addresses, however
            they are spelled, and host names that resolve to them. Networks listed here are allowed all the same.
          </p>
          <NetworkAllowListEditor
            networks={networks.data}
            field="networks"
            save={(rows) => trpcClient.communication.outboundNetworks.set.mutate({ networks: rows })}
            onSaved={() => queryClient.invalidateQueries(trpc.communication.outboundNetworks.pathFilter())}
            id="outbound-networks"
            label="Allowed outbound networks"
            help="One CIDR block or address per line (IPv4 or IPv6), optionally followed by a note. Empty: only public addresses."
            placeholder="e.g. 10.20.0.0/16 internal API"
            rows={6}
            saveLabel="Save"
            saveClassName="btn btn-primary btn-sm"
            saveTestId="save-outbound-networks"
            savedTestId="outbound-networks-saved"
          />
        </div>
      </div>
    </div>
  );
}
