# Deterministic payments with sequence numbers from..to, one every `step` seconds from the
# epoch time t0, as journal lines (fmt=tsv) or audit records (fmt=jsonl). Needs mawk/gawk.
BEGIN {
    for (s = from; s <= to; s++) {
        ts = strftime("%Y-%m-%dT%H:%M:%SZ", t0 + (s - from) * step, 1)
        account = sprintf("ACC%06d", (s * 7919) % 100000)
        amount = (s * 104729) % 50000 + 100
        if (fmt == "tsv")
            printf "%d\t%s\t%s\t%d\n", s, ts, account, amount
        else
            printf "{\"seq\":%d,\"ts\":\"%s\",\"account\":\"%s\",\"amount_cents\":%d}\n", s, ts, account, amount
    }
}
