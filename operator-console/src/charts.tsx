import type { StatColumn, StatTable } from '@sscard/registry-protocol';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'preact/hooks';

// Only the chart types and parts the console draws: the bundle carries nothing else of ECharts.
echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export type ChartKind = 'bar' | 'stacked' | 'line' | 'pie';

export interface ChartSpec {
  kind: ChartKind;
  /** The column along the x axis (or the slices' names for a pie). */
  x: string;
  /** The columns drawn, one series each (a pie draws the first). */
  series: readonly string[];
}

/** A column's figures as a chart shows them: fen in yuan, basis points in per cent. */
function shown(unit: StatColumn['unit'], value: number): number {
  if (unit === 'fen') return value / 100;
  if (unit === 'bp') return value / 100;
  return value;
}

function optionOf(table: StatTable, spec: ChartSpec): echarts.EChartsCoreOption {
  const columns = new Map(table.columns.map((c) => [c.key, c]));
  const names = table.rows.map((r) => String(r[spec.x]));
  const font = { fontFamily: '"Noto Sans SC", sans-serif' };
  if (spec.kind === 'pie') {
    const key = spec.series[0]!;
    const unit = columns.get(key)?.unit ?? 'count';
    return {
      textStyle: font,
      animation: false,
      tooltip: { trigger: 'item' },
      legend: { bottom: 0 },
      series: [
        {
          type: 'pie',
          radius: ['35%', '65%'],
          data: table.rows.map((r) => ({ name: String(r[spec.x]), value: shown(unit, Number(r[key])) })),
        },
      ],
    };
  }
  return {
    textStyle: font,
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 64, right: 24, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'value' },
    series: spec.series.map((key) => {
      const column = columns.get(key);
      return {
        name: column?.title ?? key,
        type: spec.kind === 'line' ? 'line' : 'bar',
        barMaxWidth: 48,
        ...(spec.kind === 'stacked' ? { stack: 'all' } : {}),
        data: table.rows.map((r) => shown(column?.unit ?? 'count', Number(r[key] ?? 0))),
      };
    }),
  };
}

/**
 * One ECharts chart of a statistics table (SVG, so it is sharp on screen and in print). The
 * figures it draws are the table's own, also kept on the element (`data-series`) so that what is
 * drawn can be checked against the API; `onPick` gets the x value of a clicked bar or slice.
 */
export function Chart(props: {
  table: StatTable;
  spec: ChartSpec;
  onPick?: ((name: string) => void) | undefined;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);
  const pick = useRef(props.onPick);
  pick.current = props.onPick;

  useEffect(() => {
    const c = echarts.init(el.current!, undefined, { renderer: 'svg' });
    chart.current = c;
    c.on('click', (params) => {
      if (typeof params.name === 'string') pick.current?.(params.name);
    });
    const resize = () => c.resize();
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      c.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(optionOf(props.table, props.spec), { notMerge: true });
  }, [props.table, props.spec]);

  const series = JSON.stringify(
    props.table.rows.map((r) => [
      String(r[props.spec.x]),
      ...props.spec.series.map((k) => Number(r[k] ?? 0)),
    ]),
  );
  return <div class="chart" ref={el} data-series={series} data-kind={props.spec.kind} />;
}
