// Hive Gateway's supergraph, composed by GraphQL Mesh from Codat's vendored Sync for Payables v1
// spec. Codat's records carry refs (supplierRef, accountRef, taxRateRef), not the records: the
// additional type defs below join them with Mesh's declarative @resolveTo, one Codat `get_*` call
// per ref. Codat's records do not carry their company id, so the lookups read it from the
// document's `$companyId` variable (one document per company).
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

const lookup = (field: string, source: string, idArg: string, ref: string): string => `
    ${field}: ${source}_response @resolveTo(
      sourceName: "Payables"
      sourceTypeName: "Query"
      sourceFieldName: "${source}"
      requiredSelectionSet: "{ ${ref} { id } }"
      sourceArgs: { companyId: "{info.variableValues.companyId}", ${idArg}: "{root.${ref}.id}" }
    )`;

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('Payables', {
        source: '../../specs/codat/sync-for-payables-v1.json',
        endpoint: process.env.CODAT_BASE_URL ?? 'http://127.0.0.1:8001',
        operationHeaders: { Authorization: '{context.headers.authorization}' },
      }),
    },
  ],
  additionalTypeDefs: /* GraphQL */ `
    extend type Accounting__Bill {
      ${lookup('supplier', 'get_supplier', 'supplierId', 'supplierRef')}
    }
    extend type Bill_line_item {
      ${lookup('account', 'get_account', 'accountId', 'accountRef')}
      ${lookup('taxRate', 'get_tax_rate', 'taxRateId', 'taxRateRef')}
    }
  `,
});
