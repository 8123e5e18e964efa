import type { ImportRecord } from '../services/import.js';

/**
 * The `uci-online-retail` mapping: the canonical line-level mapping of the UCI Online
 * Retail data set (/work/shared/data/uci-online-retail/SOURCE.md, CC BY 4.0, Chen 2015,
 * doi:10.24432/C5BW33). One event per row with a CustomerID: `purchase`, or `refund` when
 * InvoiceNo starts with `C`; time = InvoiceDate read as UTC; `$insert_id` = `uci:<row>`
 * (data row number, 1-based) so re-imports deduplicate; person property `country`
 * `$set` per row, so the customer's last row in file order wins.
 */

/** One CSV row, header names exactly as in the UCI file. */
export interface UciRow {
  InvoiceNo: string;
  StockCode: string;
  Description: string;
  Quantity: string;
  InvoiceDate: string;
  UnitPrice: string;
  CustomerID: string;
  Country: string;
}

export const UCI_COLUMNS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'] as const;

const DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** `YYYY-MM-DD HH:MM:SS` (no zone) read as UTC -> unix ms; NaN when malformed. */
export function uciTimeMs(s: string): number {
  const m = DATE.exec(s);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/** round(quantity * unit_price, 2); prices carry at most 2 decimals, so no ties arise. */
export const lineTotal = (quantity: number, unitPrice: number): number => Math.round(quantity * unitPrice * 100) / 100 || 0;

/** The event name of an invoice: `refund` for `C…` (cancellations), `purchase` for digits, else null. */
export function uciEventName(invoiceNo: string): 'purchase' | 'refund' | null {
  if (/^\d/.test(invoiceNo)) return 'purchase';
  if (invoiceNo.startsWith('C')) return 'refund';
  return null;
}

/** Maps one data row (1-based number) to an event plus a `country` `$set`; null skips the row. */
export function mapUciRow(row: UciRow, rowNumber: number): ImportRecord | null {
  const customer = row.CustomerID?.trim();
  if (!customer) return null;
  const event = uciEventName(row.InvoiceNo);
  if (!event) return null;
  const quantity = Number(row.Quantity);
  const unitPrice = Number(row.UnitPrice);
  return {
    event: {
      event,
      distinct_id: customer,
      time: uciTimeMs(row.InvoiceDate),
      $insert_id: `uci:${rowNumber}`,
      properties: {
        invoice_no: row.InvoiceNo,
        stock_code: row.StockCode,
        description: row.Description,
        quantity,
        unit_price: unitPrice,
        line_total: lineTotal(quantity, unitPrice),
        country: row.Country,
      },
    },
    set: { distinctId: customer, properties: { country: row.Country } },
  };
}

/** The mapping as the importer registers it. */
export const uciOnlineRetail = {
  name: 'uci-online-retail',
  format: 'csv' as const,
  map: (row: Record<string, unknown>, rowNumber: number) => mapUciRow(row as unknown as UciRow, rowNumber),
};
