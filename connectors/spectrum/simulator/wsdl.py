"""WSDLs generated from the service layouts (docs/spectrum.md#wsdl: the real
WSDL XML was never captured, so this follows what is known): document/literal SOAP 1.1, target
namespace PRO-IV, single-quoted attributes, one input element per method holding Authorization_ID,
GUID and the elements in documented order (each required to be present, ``minOccurs='1'``), and the
reply shape of the help pages' examples (docs/spectrum.md#soap-envelope):
``<Method>Response/returnArray/returnData/[<method>/]response*`` with unqualified children (the
examples write them without prefix or default namespace).
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from connectors.spectrum.layouts import Layout
from connectors.spectrum.soap import PROIV_NS

PUT_RETURNS = ("error_code", "desc", "column")


def _elements(names: tuple[str, ...] | list[str], *, qualified: bool, min_occurs: str = "1") -> str:
    form = " form='qualified'" if qualified else ""
    return "".join(f"<xsd:element name='{n}' type='xsd:string' minOccurs='{min_occurs}'{form}/>" for n in names)


def _response_type(layout: Layout) -> str:
    fields = layout.returns if layout.kind == "get" else PUT_RETURNS
    row = (
        "<xsd:element name='response' minOccurs='0' maxOccurs='unbounded'><xsd:complexType><xsd:sequence>"
        + _elements(list(fields), qualified=False, min_occurs="0")
        + "</xsd:sequence></xsd:complexType></xsd:element>"
    )
    if layout.kind == "get":
        row = (
            f"<xsd:element name='{layout.wrapper}' minOccurs='0'><xsd:complexType><xsd:sequence>"
            + row
            + "</xsd:sequence></xsd:complexType></xsd:element>"
        )
    return (
        "<xsd:element name='returnArray' minOccurs='0'><xsd:complexType><xsd:sequence>"
        "<xsd:element name='returnData' minOccurs='0'><xsd:complexType><xsd:sequence>"
        + row
        + "</xsd:sequence></xsd:complexType></xsd:element>"
        "</xsd:sequence></xsd:complexType></xsd:element>"
    )


def wsdl(layout: Layout, base_url: str) -> str:
    # The elements and the operation carry the method's name; the file and the address the WSDL's
    # (they differ for UpdateWokOrderHeader_UDF.jws, method UpdateWorkOrderHeader_UDF).
    name = layout.method_name
    # The test-connection service takes no GUID (docs/spectrum.md#wstestconnection).
    head = ["Authorization_ID"] if layout.kind == "test" else ["Authorization_ID", "GUID"]
    inputs = [*head, *(n for n in layout.names if n not in head)]
    location = quoteattr(f"{base_url}/ws/{layout.name}").replace('"', "'")
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f"<definitions name='{name}' targetNamespace='{PROIV_NS}' xmlns='http://schemas.xmlsoap.org/wsdl/' "
        f"xmlns:soap='http://schemas.xmlsoap.org/wsdl/soap/' xmlns:tns='{PROIV_NS}' "
        "xmlns:xsd='http://www.w3.org/2001/XMLSchema'>\n"
        f"<types><xsd:schema targetNamespace='{PROIV_NS}' elementFormDefault='unqualified'>"
        f"<xsd:element name='{name}'><xsd:complexType><xsd:sequence>"
        + _elements(inputs, qualified=True)
        + "</xsd:sequence></xsd:complexType></xsd:element>"
        f"<xsd:element name='{name}Response'><xsd:complexType><xsd:sequence>"
        + _response_type(layout)
        + "</xsd:sequence></xsd:complexType></xsd:element>"
        "</xsd:schema></types>\n"
        f"<message name='{name}Input'><part name='parameters' element='tns:{name}'/></message>"
        f"<message name='{name}Output'><part name='parameters' element='tns:{name}Response'/></message>"
        f"<portType name='{name}PortType'><operation name='{name}'>"
        f"<input message='tns:{name}Input'/><output message='tns:{name}Output'/></operation></portType>"
        f"<binding name='{name}Binding' type='tns:{name}PortType'>"
        "<soap:binding style='document' transport='http://schemas.xmlsoap.org/soap/http'/>"
        f"<operation name='{name}'><soap:operation soapAction={location} style='document'/>"
        "<input><soap:body use='literal'/></input><output><soap:body use='literal'/></output></operation>"
        "</binding>"
        f"<service name='{name}'><port name='{name}Port' binding='tns:{name}Binding'>"
        f"<soap:address location={location}/></port></service>\n"
        "</definitions>\n"
    )
