"""The exact MES engine behind :mod:`votes.rules.mes`: one run of the Method of Equal Shares for a
given initial share, with floats as a prefilter and exact rationals for every decision.

Kept apart from the rule and its completions because it is the performance-critical part (and the
longest): see the exactness notes in :mod:`votes.rules.mes`.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from fractions import Fraction

import numpy as np

from .model import APPROVAL, Election, natural_key, tie_key

try:  # optional accelerator: gmpy2 rationals (exact, faster); pure-Python Fraction otherwise
    from gmpy2 import mpq as _Q
except ImportError:  # pragma: no cover
    _Q = Fraction


def _to_fraction(q) -> Fraction:
    return q if isinstance(q, Fraction) else Fraction(int(q.numerator), int(q.denominator))


_U = 2.0 ** -53  # unit round-off of float64
_add_reduce = np.add.reduce
_count_nonzero = np.count_nonzero
_INF = float("inf")


class _Prepared:
    """Arrays describing an election, built once and shared by all MES runs."""

    def __init__(self, election: Election):
        self.election = election
        self.n = election.voters
        self.approval = election.vote_type == APPROVAL
        self.votes = election.votes()
        all_ids = sorted(election.projects, key=natural_key)
        self.ids = [pid for pid in all_ids if self.votes[pid] > 0]  # supported projects only
        index = {pid: i for i, pid in enumerate(self.ids)}
        P = len(self.ids)
        self.P = P
        self.cost = [election.projects[pid].cost for pid in self.ids]
        # aggregate identical ballots
        agg: Counter = Counter()
        if self.approval:
            for b, w in zip(election.ballots, election.weights):
                agg[b] += w
            keys = [k for k in agg if k]
            lens = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
            total = int(lens.sum())
            g_proj = np.fromiter((index[p] for k in keys for p in k), dtype=np.int32, count=total)
            g_v = np.ones(total, dtype=np.int64)
        else:
            for b, w in zip(election.ballots, election.weights):
                agg[tuple(sorted(b.items()))] += w
            keys = [k for k in agg if k]
            lens = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
            total = int(lens.sum())
            g_proj = np.fromiter((index[p] for k in keys for p, _ in k), dtype=np.int32, count=total)
            g_v = np.fromiter((v for k in keys for _, v in k), dtype=np.int64, count=total)
        w = np.fromiter((agg[k] for k in keys), dtype=np.int64, count=len(keys))
        del agg
        G = len(keys)
        self.G = G
        self.w = w
        self.wf = w.astype(np.float64)
        self.Lmax = int(lens.max()) if G else 0
        self.g_ptr = np.zeros(G + 1, dtype=np.int64)
        np.cumsum(lens, out=self.g_ptr[1:])
        self.g_proj = g_proj
        self.g_v = g_v
        entry_group = np.repeat(np.arange(G, dtype=np.int32), lens)
        self.ewv = (w[entry_group] * g_v).astype(np.float64)  # integer-valued weights w*v per entry
        if self.ewv.size and float(self.ewv.sum()) >= 2.0 ** 52:
            raise OverflowError("too many votes for exact float64 counting")
        # project-major CSR
        order = np.argsort(g_proj, kind="stable")
        counts = np.bincount(g_proj, minlength=P) if total else np.zeros(P, dtype=np.int64)
        self.p_ptr = np.zeros(P + 1, dtype=np.int64)
        np.cumsum(counts, out=self.p_ptr[1:])
        self.p_group = entry_group[order]
        self.p_v = g_v[order]
        self.p_vf = self.p_v.astype(np.float64)
        self.p_wv = w[self.p_group] * self.p_v
        self.p_wvf = self.p_wv.astype(np.float64)
        self.p_wf = self.wf[self.p_group]
        del order, entry_group
        self.p_ptr_l = self.p_ptr.tolist()
        # per-project views (avoid re-slicing in the hot loops)
        pl = self.p_ptr_l
        self.grp_j = [self.p_group[pl[j]:pl[j + 1]] for j in range(P)]
        self.wf_j = [self.p_wf[pl[j]:pl[j + 1]] for j in range(P)]
        self.wv_j = [self.p_wv[pl[j]:pl[j + 1]] for j in range(P)]
        self.Cf = [float(c * self.n) for c in self.cost]
        self.Vtot = [int(self.p_wv[self.p_ptr[j]:self.p_ptr[j + 1]].sum()) for j in range(P)]
        self.Wtot = [float(self.p_wf[self.p_ptr[j]:self.p_ptr[j + 1]].sum()) for j in range(P)]
        self.vmin = [
            float(self.p_vf[self.p_ptr[j]:self.p_ptr[j + 1]].min()) if self.p_ptr[j + 1] > self.p_ptr[j] else 1.0
            for j in range(P)
        ]
        # rho = pi / k_j: pi is the price per vote unit (per approval, per point)
        self.k = self.cost if self.approval else [1] * P
        tk = tie_key(self.votes, election.projects)
        self.tkey = [tk(pid) for pid in self.ids]
        # small elections: dense integer matrix of w * v (last column: w) for exact sums
        self.dense = None
        if G * (P + 1) <= 4_000_000:
            dense = np.zeros((G, P + 1), dtype=np.int64)
            dense[np.repeat(np.arange(G), lens), g_proj] = w[np.repeat(np.arange(G), lens)] * g_v
            dense[:, P] = w
            self.dense = dense
        self.trank = [0] * P  # position in tie-break order
        for r_, j_ in enumerate(sorted(range(P), key=lambda q: self.tkey[q])):
            self.trank[j_] = r_

    def entries_of(self, groups: np.ndarray) -> np.ndarray:
        """Indices of the group-major entries of the given groups."""
        starts = self.g_ptr[groups]
        lens = self.g_ptr[groups + 1] - starts
        tot = int(lens.sum())
        if tot == 0:
            return np.zeros(0, dtype=np.int64)
        offs = np.repeat(starts - (np.cumsum(lens) - lens), lens)
        return offs + np.arange(tot, dtype=np.int64)


class _Run:
    """One run of MES with a given (scaled, integer) initial share per voter."""

    def __init__(self, prep: _Prepared, share: int):
        self.prep = prep
        self.B0 = share  # money per voter, in units of 1/n currency
        self.B0f = float(share)
        self.bf = np.full(prep.G, self.B0f)
        self.zeroed = np.zeros(prep.G, dtype=bool)
        self.sel_mask = np.zeros(prep.P, dtype=bool)
        self.pi: dict[int, Fraction] = {}
        self.selected: list[int] = []
        self._records: dict[int, dict] = {}
        self._raw_buys: dict[int, tuple] = {}
        self.delta_b = (4 * prep.Lmax + 4) * _U * self.B0f  # bound on |bf - exact money|

    # -------------------------------------------------------------- exact sums
    def exact_sum(self, groups: np.ndarray) -> Fraction:
        """Exact total money of the given non-zeroed groups."""
        p = self.prep
        if groups.size == 0:
            return _Q(0)
        if p.dense is not None:  # small elections: one gather of the (G x P) integer matrix
            cnt = _add_reduce(p.dense.take(groups, axis=0), axis=0).tolist()
            W = cnt[-1]
        else:
            W = int(p.w[groups].sum())
            ent = p.entries_of(groups)
            cnt = np.bincount(p.g_proj[ent], weights=p.ewv[ent], minlength=p.P).tolist()
        s = _Q(W * self.B0)
        pi = self.pi
        for j in self.selected:
            c = int(cnt[j])
            if c:
                s -= pi[j] * c
        return s

    def exact_money(self, g: int) -> Fraction:
        p = self.prep
        if self.zeroed[g]:
            return _Q(0)
        a, b = int(p.g_ptr[g]), int(p.g_ptr[g + 1])
        m = _Q(self.B0)
        for j, v in zip(p.g_proj[a:b].tolist(), p.g_v[a:b].tolist()):
            if self.sel_mask[j]:
                m -= self.pi[j] * v
        return m

    # ---------------------------------------------------------------- evaluate
    def float_eval(self, j: int):
        """Float evaluation of project j.

        Returns None if certainly unaffordable, else a dict with the float price
        ``pi`` (per vote unit), an error bound ``err`` and arrays for the exact step.
        """
        p = self.prep
        a, b = p.p_ptr_l[j], p.p_ptr_l[j + 1]
        gi = p.grp_j[j]
        bb = self.bf.take(gi)
        wb = p.wf_j[j] * bb
        total = float(_add_reduce(wb))
        C = p.Cf[j]
        nj = b - a
        err_total = p.Wtot[j] * self.delta_b + (nj + 4) * _U * total * 2
        if total + err_total < C:
            self.last_total = total
            return None
        if p.approval:
            wv = p.wf_j[j]
            r = bb
        else:
            wv = p.p_wvf[a:b]
            r = bb / p.p_vf[a:b]
        order = r.argsort()
        rs = r.take(order)
        wbs = wb.take(order)
        wvs = wv.take(order)
        S_ex = wbs.cumsum()
        S_ex -= wbs
        V_R = wvs.cumsum()
        V_R -= wvs
        np.subtract(p.Vtot[j], V_R, out=V_R)  # > 0 everywhere: every entry has a positive weight
        pik = C - S_ex
        pik /= V_R
        ok = rs >= pik
        k = int(ok.argmax())
        if not ok[k]:
            k = nj - 1
        pi_f = float(pik[k])
        VR = float(V_R[k])
        S = float(S_ex[k])
        base = 4 * (p.Wtot[j] * self.delta_b + (nj + 4) * _U * (S + C)) / VR + 4 * _U * pi_f
        ratio = p.Vtot[j] / VR
        err = base * (1 + 2 * ratio) + 4 * (self.delta_b / p.vmin[j]) * ratio
        uncertain = not (total - err_total >= C)
        kj = p.k[j]
        return {"j": j, "gi": gi, "r": r, "pi": pi_f, "err": err, "uncertain": uncertain,
                "lo": (pi_f - err) / kj, "hi": (pi_f + err) / kj, "total": total}

    def exact_eval(self, fe: dict, full: bool = False):
        """Exact price for the project of a float evaluation.

        Returns (pi, poor_mask) with pi a Fraction (None if unaffordable) and
        poor_mask a boolean mask over the supporters (non-zeroed supporters whose
        money is at most pi * v: they pay all of their money).
        """
        p = self.prep
        j = fe["j"]
        a = p.p_ptr_l[j]
        gi, r = fe["gi"], fe["r"]
        C = p.cost[j] * p.n
        z = self.zeroed.take(gi)
        pif = fe["pi"]
        checked = not full and math.isfinite(pif)
        if checked:
            tol = 2 * fe["err"] + 4 * self.delta_b / p.vmin[j] + 1e-9 * abs(pif)
            nz = ~z
            low = nz & (r < pif - tol)
            if pif + tol >= 0:  # zeroed supporters have r == 0.0: never above pif + tol
                high = r > pif + tol
            else:
                high = nz & (r > pif + tol)
            if _count_nonzero(low) + _count_nonzero(high) + _count_nonzero(z) == len(gi):
                band = None  # every non-zeroed supporter is classified by the floats
            else:
                band = nz & ~(low | high)
        else:
            low = np.zeros_like(z)
            high = low
            band = ~z
        S = self.exact_sum(gi[low])
        pwv = p.wv_j[j]
        V_high = int(_add_reduce(pwv[high])) if checked else 0
        items = []
        if band is not None and band.any():
            pv = p.p_v
            for t in np.flatnonzero(band).tolist():
                m = self.exact_money(int(gi[t]))
                vv = int(pv[a + t])
                items.append((m / vv, m, int(pwv[t]), t, vv))
            items.sort(key=lambda x: x[0])
        V_R = V_high + sum(it[2] for it in items)
        pi = None
        for rr, m, wvv, t, vv in items:
            cand = _Q(C - S, V_R)
            if rr >= cand:
                pi = cand
                break
            S += m * (wvv // vv)  # w * money
            V_R -= wvv
        if pi is None:
            if V_high > 0:
                pi = _Q(C - S, V_high)
            else:
                return None, None  # exactly unaffordable
        if checked and not abs(float(pi) - pif) <= tol / 2:
            return self.exact_eval(fe, full=True)  # float bound violated: fully exact
        if items:
            poor = low.copy()
            for rr, m, wvv, t, vv in items:
                if rr <= pi:
                    poor[t] = True
        else:
            poor = low
        return pi, poor

    def exact_affordable(self, fe: dict) -> bool:
        gi = fe["gi"]
        nzg = gi[~self.zeroed[gi]]
        return self.exact_sum(nzg) >= self.prep.cost[fe["j"]] * self.prep.n

    # --------------------------------------------------------------------- run
    def run(self):
        p = self.prep
        active = [True] * p.P
        n_active = p.P
        # rigorous lower bound of rho: pi >= C / Vtot
        lb = [(p.cost[j] * p.n / p.Vtot[j]) / p.k[j] * (1 - 8 * _U) for j in range(p.P)]
        trank = p.trank
        # lazy priority queue on (lb, tie-break rank): one live entry per active project
        # (entries whose lb is stale are skipped); same visiting order as sorting the
        # active projects by (lb, tie-break key) in every round.
        heap = [(lb[j], trank[j], j) for j in range(p.P)]
        heapq.heapify(heap)
        heappop, heappush = heapq.heappop, heapq.heappush
        rnd = 0
        while n_active:
            rnd += 1
            best_hi = _INF
            evaluated = []
            while heap:
                lbj, rk, j = heap[0]
                if not active[j] or lbj != lb[j]:
                    heappop(heap)
                    continue
                if lbj > best_hi:
                    break
                heappop(heap)
                fe = self.float_eval(j)
                if fe is not None and fe["uncertain"] and not self.exact_affordable(fe):
                    self.last_total = fe["total"]
                    fe = None
                if fe is None:
                    active[j] = False
                    n_active -= 1
                    self._records[j] = {"round": rnd, "money": self.last_total / p.n}
                    continue
                if fe["lo"] > lbj:
                    lb[j] = fe["lo"]
                evaluated.append(fe)
                if fe["hi"] < best_hi:
                    best_hi = fe["hi"]
            if not evaluated:
                break
            if len(evaluated) == 1:
                cands = evaluated
            else:
                cands = sorted((fe for fe in evaluated if fe["lo"] <= best_hi), key=lambda f: trank[f["j"]])
            best = None
            for fe in cands:
                pi, poor = self.exact_eval(fe)
                if pi is None:
                    active[fe["j"]] = False
                    n_active -= 1
                    self._records[fe["j"]] = {"round": rnd, "money": fe["total"] / p.n}
                    continue
                rho = _Q(pi, p.k[fe["j"]])
                if best is None or rho < best[0]:
                    best = (rho, pi, poor, fe)
            if best is not None:
                rho, pi, poor, fe = best
                self._buy(fe, pi, rho, poor, rnd)
                active[fe["j"]] = False
                n_active -= 1
            for fe in evaluated:
                j = fe["j"]
                if active[j]:
                    heappush(heap, (lb[j], trank[j], j))
        return self.selected

    @property
    def records(self) -> dict[int, dict]:
        """Per-project records (built on demand: only the kept run needs them)."""
        p = self.prep
        for j, raw in self._raw_buys.items():
            gi, z, poor, pi, rho, rnd = raw
            rich = ~z & ~poor
            w = p.w[gi]
            self._records[j] = {
                "round": rnd,
                "pi": _to_fraction(pi),
                "rho": _to_fraction(rho),
                "paid_all": int(w[poor].sum()),
                "paid_price": int(w[rich].sum()),
                "no_money": int(w[z].sum()),
            }
        self._raw_buys.clear()
        return self._records

    def _buy(self, fe, pi: Fraction, rho: Fraction, poor: np.ndarray, rnd: int):
        p = self.prep
        j = fe["j"]
        a = p.p_ptr_l[j]
        gi = fe["gi"]
        z = self.zeroed[gi]
        self._raw_buys[j] = (gi, z, poor, pi, rho, len(self.selected) + 1)
        pif = float(pi)
        if p.approval:  # v = 1: every rich supporter pays pif
            self.bf[gi[~(z | poor)]] -= pif
        else:
            ri = np.flatnonzero(~(z | poor))
            self.bf[gi[ri]] -= pif * p.p_vf[a + ri]
        pg = gi[poor]
        self.bf[pg] = 0.0
        self.zeroed[pg] = True
        self.sel_mask[j] = True
        self.pi[j] = pi
        self.selected.append(j)


def _prepare(election: Election) -> _Prepared:
    return _Prepared(election)
