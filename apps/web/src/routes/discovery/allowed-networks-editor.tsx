import { useQuery, useQueryClient } from "@tanstack/react-query";
import { trpc, trpcClient } from "../../app/trpc";
import { NetworkAllowListEditor } from "../../components/network-allow-list-editor";
import { Loading } from "../../components/states";

/** The networks discovery may scan; one CIDR per line, optionally followed by a note. */
export function AllowedNetworksEditor({ canConfigure }: { canConfigure: boolean }) {
  const queryClient = useQueryClient();
  const networks = useQuery(trpc.assets.discoveryNetworks.list.queryOptions());
  if (networks.isPending) return <Loading />;
  if (!canConfigure) {
    return (
      <ul className="small mb-0" data-testid="allowed-networks">
        {(networks.data ?? []).length === 0 && <li>None: discovery cannot scan until an administrator allows a network.</li>}
        {(networks.data ?? []).map((n) => (
          <li key={n.id}>
            <code>{n.cidr}</code> {n.note}
          </li>
        ))}
      </ul>
    );
  }
  return (
    <div>
      <NetworkAllowListEditor
        networks={networks.data}
        field="cidrs"
        save={(cidrs) => trpcClient.assets.discoveryNetworks.set.mutate({ cidrs })}
        onSaved={() => queryClient.invalidateQueries(trpc.assets.discoveryNetworks.pathFilter())}
        id="allowed-networks"
        label="Allowed networks"
        help="One CIDR block per line, optionally followed by a note. Empty: discovery may scan nothing."
        placeholder="e.g. 10.0.0.0/16 office"
        rows={4}
        saveLabel="Save networks"
        saveClassName="btn btn-outline-primary btn-sm"
        saveTestId="save-networks"
        savedTestId="networks-saved"
      />
    </div>
  );
}
