# bench.png from bench.dat (bench/report.py): throughput and peak memory
# against database size.   gnuplot -e "dat='bench.dat'; out='bench.png'" plot.gp
if (!exists("dat")) dat = 'bench/out/bench.dat'
if (!exists("out")) out = 'bench/out/bench.png'

set terminal pngcairo size 1400,560 font ",10"
set output out
set datafile missing "NaN"
set key below center horizontal maxrows 3 font ",9" spacing 1.1
set grid
set logscale x 2
set xlabel "database size (MiB)"
set format x "%.0f"
set style data linespoints

set multiplot layout 1,2 title "neo4j-backup / neo4j-restore (4.4 store folder)"

set title "throughput (database MB/s, median)"
set ylabel "MB/s"
set yrange [0:*]
blue = "#1f5fbf"; teal = "#138a72"; grey = "#707070"; orange = "#d9822b"
purple = "#7b3fa0"; red = "#c0392b"
plot dat using 1:2 title "restore (local)" lw 2 pt 7 lc rgb blue, \
     dat using 1:3 title "restore (GCS emulator)" lw 2 pt 5 lc rgb teal, \
     dat using 1:4 title "limit: tar -xzf" dt 2 pt 6 lc rgb grey, \
     dat using 1:5 title "old: fetch, tar -zxvf, move" dt 3 pt 4 lc rgb orange, \
     dat using 1:6 title "backup gzip" lw 2 pt 9 lc rgb purple, \
     dat using 1:7 title "tar -czf" dt 2 pt 8 lc rgb purple, \
     dat using 1:8 title "backup zstd -T2" lw 2 pt 11 lc rgb red, \
     dat using 1:9 title "tar | zstd -T2" dt 2 pt 10 lc rgb red

set title "peak memory (RSS, MiB)"
set ylabel "MiB"
set yrange [0:*]
plot dat using 1:10 title "neo4j-restore (local)" lw 2 pt 7 lc rgb blue, \
     dat using 1:11 title "neo4j-restore (GCS)" lw 2 pt 5 lc rgb teal, \
     dat using 1:12 title "neo4j-backup gzip" lw 2 pt 9 lc rgb purple, \
     dat using 1:13 title "neo4j-backup zstd" lw 2 pt 11 lc rgb red, \
     dat using 1:14 title "old pipeline (largest process)" dt 3 pt 4 lc rgb orange, \
     32 title "goal: 32 MiB" dt 4 lc rgb "red"

unset multiplot
