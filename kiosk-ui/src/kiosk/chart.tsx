import { BarChart } from 'echarts/charts';
import { GridComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'preact/hooks';

echarts.use([BarChart, GridComponent, SVGRenderer]);

export interface MonthBar {
  /** `2026-11` */
  month: string;
  /** In fen. */
  value: number;
}

/**
 * The last twelve months as bars (yuan), drawn by ECharts as SVG, so that it prints as sharply as
 * the text around it. The chart is a picture for the eye: `label` says the same in words.
 */
export function MonthChart(props: { bars: readonly MonthBar[]; label: string; lang: 'zh' | 'en' }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const chart = echarts.init(el, undefined, { renderer: 'svg' });
    const ink = getComputedStyle(document.documentElement).getPropertyValue('--ink').trim() || '#0b1a2b';
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: 'Noto Sans SC, sans-serif', fontSize: 18, color: ink },
      grid: { left: 72, right: 16, top: 16, bottom: 40 },
      xAxis: {
        type: 'category',
        data: props.bars.map((b) => monthLabel(b.month, props.lang)),
        axisLabel: { color: ink, fontSize: 16 },
        axisLine: { lineStyle: { color: ink } },
      },
      yAxis: { type: 'value', axisLabel: { color: ink, fontSize: 16 } },
      series: [
        {
          type: 'bar',
          data: props.bars.map((b) => b.value / 100),
          itemStyle: { color: '#0a4ea3' },
          barMaxWidth: 48,
        },
      ],
    });
    // The drawing scales with its box (a viewBox over what ECharts drew): printing lays the page
    // out at the paper's width, narrower than the screen, without a chance to draw it again.
    chart.on('finished', () => {
      const svg = el.querySelector('svg');
      const width = svg?.getAttribute('width') ?? '';
      const height = svg?.getAttribute('height') ?? '';
      if (!svg || !/^\d/.test(width) || !/^\d/.test(height)) return;
      svg.setAttribute('viewBox', `0 0 ${Number.parseFloat(width)} ${Number.parseFloat(height)}`);
      svg.setAttribute('width', '100%');
      svg.setAttribute('height', '100%');
      const box = svg.parentElement;
      if (box && box !== el) {
        box.style.width = '100%';
        box.style.height = '100%';
      }
    });
    // A window that changes size (or the media emulated for printing) gets it drawn to fit again.
    const resize = (): void => chart.resize();
    const print = matchMedia('print');
    window.addEventListener('resize', resize);
    window.addEventListener('beforeprint', resize);
    window.addEventListener('afterprint', resize);
    print.addEventListener('change', resize);
    return () => {
      window.removeEventListener('resize', resize);
      window.removeEventListener('beforeprint', resize);
      window.removeEventListener('afterprint', resize);
      print.removeEventListener('change', resize);
      chart.dispose();
    };
  }, [props.bars, props.lang]);
  return (
    <div ref={host} class="month-chart" role="img" aria-label={props.label} data-months={props.bars.length} />
  );
}

/** `2026-11` → 11月 / Nov. */
function monthLabel(month: string, lang: 'zh' | 'en'): string {
  const m = Number(month.slice(5, 7));
  if (lang === 'zh') return `${m}月`;
  return ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1] ?? month;
}
