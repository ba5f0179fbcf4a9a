# SPDX-License-Identifier: GPL-2.0
# Load per backend (sorted, as a multiple of the average), N = 100 backends,
# 100 connections per backend, at the end of the churn; uniform and Zipf keys.
set terminal pngcairo size 1200,520 font ",10"
set output "out/load.png"
set multiplot layout 1,2 title "sluice: load per backend / average (N = 100, 10,000 connections, after 40,000 arrivals and departures)"
set xlabel "backends, most loaded first"
set ylabel "load / average"
set key top right
set grid ytics
set yrange [0:*]
set style data lines
set title "uniform keys (a new client each time)"
plot for [c=2:8] "out/load-uniform.dat" using 1:c title columnheader(c) lw 2, 1.25 title "c = 1.25" dt 2 lc rgb "black"
set title "Zipf(1.1) clients, source affinity"
set logscale y
set yrange [0.1:*]
plot for [c=2:8] "out/load-zipf.dat" using 1:c title columnheader(c) lw 2, 1.25 title "c = 1.25" dt 2 lc rgb "black"
unset multiplot
