import type { SourceFormat } from '@flowsmith/contracts';

/** One small diagram per source format: what the playground's editor opens with. */
export const PLAYGROUND_SAMPLES: Record<SourceFormat, string> = {
  mermaid: `flowchart LR
  Push([Push to main]) --> Build[Build and test]
  Build --> Check{Tests pass?}
  Check -->|yes| Deploy[Deploy to staging]
  Check -->|no| Fix[Open an issue]
  Deploy --> Live([Live])
`,
  plantuml: `@startuml
actor Developer
participant "Playground" as UI
participant "Flowsmith API" as API
Developer -> UI: Type a diagram
UI -> API: POST /api/v1/beautify
API --> UI: Themed SVG
UI --> Developer: Live preview
@enduml
`,
  drawio: `<mxfile>
  <diagram name="Page-1" id="playground">
    <mxGraphModel>
      <root>
        <mxCell id="0"/>
        <mxCell id="1" parent="0"/>
        <mxCell id="client" value="Client" style="rounded=1;whiteSpace=wrap;" vertex="1" parent="1">
          <mxGeometry x="40" y="60" width="120" height="60" as="geometry"/>
        </mxCell>
        <mxCell id="gateway" value="Gateway" style="rounded=1;whiteSpace=wrap;" vertex="1" parent="1">
          <mxGeometry x="240" y="60" width="120" height="60" as="geometry"/>
        </mxCell>
        <mxCell id="worker" value="Render worker" style="rounded=1;whiteSpace=wrap;" vertex="1" parent="1">
          <mxGeometry x="440" y="60" width="120" height="60" as="geometry"/>
        </mxCell>
        <mxCell id="e1" value="HTTPS" edge="1" source="client" target="gateway" parent="1" style="endArrow=classic;">
          <mxGeometry relative="1" as="geometry"/>
        </mxCell>
        <mxCell id="e2" value="queue" edge="1" source="gateway" target="worker" parent="1" style="endArrow=classic;">
          <mxGeometry relative="1" as="geometry"/>
        </mxCell>
      </root>
    </mxGraphModel>
  </diagram>
</mxfile>
`,
  bpmn: `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_1" targetNamespace="http://flowsmith.dev/playground">
  <bpmn:process id="Review" name="Review" isExecutable="false">
    <bpmn:startEvent id="Start" name="Draft ready"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ReviewDraft" name="Review draft"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="Approved" name="Approved?"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:task id="Publish" name="Publish"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:task>
    <bpmn:task id="Revise" name="Send back"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:task>
    <bpmn:endEvent id="Published" name="Published"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="Returned" name="Returned"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="ReviewDraft"/>
    <bpmn:sequenceFlow id="f2" sourceRef="ReviewDraft" targetRef="Approved"/>
    <bpmn:sequenceFlow id="f3" name="yes" sourceRef="Approved" targetRef="Publish"/>
    <bpmn:sequenceFlow id="f4" name="no" sourceRef="Approved" targetRef="Revise"/>
    <bpmn:sequenceFlow id="f5" sourceRef="Publish" targetRef="Published"/>
    <bpmn:sequenceFlow id="f6" sourceRef="Revise" targetRef="Returned"/>
  </bpmn:process>
</bpmn:definitions>
`,
  svg: `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="140" viewBox="0 0 360 140">
  <rect x="20" y="40" width="120" height="60" rx="10" fill="#e0e7ff" stroke="#4f46e5" stroke-width="2"/>
  <text x="80" y="75" text-anchor="middle" font-family="sans-serif" font-size="14">Source</text>
  <path d="M140 70 H220" stroke="#4f46e5" stroke-width="2" marker-end="url(#arrow)"/>
  <rect x="220" y="40" width="120" height="60" rx="10" fill="#ccfbf1" stroke="#0d9488" stroke-width="2"/>
  <text x="280" y="75" text-anchor="middle" font-family="sans-serif" font-size="14">Diagram</text>
  <defs>
    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto">
      <path d="M0 0 L10 5 L0 10 z" fill="#4f46e5"/>
    </marker>
  </defs>
</svg>
`,
};
